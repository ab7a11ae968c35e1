/// The workloads, named as in the table and the JSON.
enum WorkloadName: String, CaseIterable, Sendable {
    case groupsyncSingle = "groupsync-single"
    case batch100 = "batch-100"
    case durable1 = "durable-1"
    case durable4 = "durable-4"
    case durable16 = "durable-16"
    case durable64 = "durable-64"
    case recovery
    case graphCreateGroupSync = "graph-create-groupsync"
    case graphCreateDurable1 = "graph-create-durable-1"
    case graphCreateDurable16 = "graph-create-durable-16"
    case graphCreateScaling = "graph-create-scaling"
    case graphHub = "graph-hub"
    case graphRecoveryWAL = "graph-recovery-wal"
    case graphRecoverySnapshot = "graph-recovery-snapshot"
}

/// What a write workload's transactions are: opaque log events, or graph
/// nodes (which picks each system's committer, see WorkloadRunner).
enum WorkloadSubject: Sendable {
    /// `eventsPerCommit` events of `eventBytes` bytes (the WAL, SQLite's
    /// `log` table, RocksDB, the device).
    case logEvents
    /// One ``NodePayload`` node (the graph database, SQLite's `nodes` table).
    case graphNodes
}

/// How much work a run does: the full run, or `--quick`'s scaled-down one.
struct Scale: Sendable {
    /// Commits of `groupsync-single`.
    var singleCommits: Int
    /// Commits (100-event batches) of `batch-100`.
    var batchCommits: Int
    /// Length of each durable workload, per system.
    var durableNanos: UInt64
    /// Upper bound on a fixed-count workload, per system, so a slow peer
    /// cannot hold the run up.
    var countBoundNanos: UInt64
    /// Single-event transactions in the log that `recovery` replays.
    var recoveryTransactions: Int
    /// Node-creating transactions of `graph-create-groupsync`.
    var graphCreateCommits: Int
    /// Nodes the graph recovery workloads recover (one per transaction).
    var graphRecoveryNodes: Int
    /// Nodes `graph-create-scaling` grows the graph to.
    var graphScalingNodes: Int
    /// Relationships `graph-hub` adds to its hub.
    var graphHubRelationships = 100_000
    /// Distinct labels the graph database's nodes take turns carrying in
    /// the `graph-create-*` workloads (`--labels`); 1 is `Person` alone.
    var graphLabels = 1
    /// The graph recoveries' database also has a unique index on a label
    /// its nodes do not carry (`--index-elsewhere`).
    var graphRecoveryIndexElsewhere = false
    /// The graph recoveries' nodes also have a `seq` property under a
    /// unique index on their own label (`--index-own`).
    var graphRecoveryIndexOwn = false
    /// `graph-create-scaling`'s checkpoint ratio (`--checkpoint-ratio`);
    /// nil: the library's default.
    var graphCheckpointRatio: Double? = nil

    static let full = Scale(
        singleCommits: 1_000_000, batchCommits: 10_000, durableNanos: 4_000_000_000,
        countBoundNanos: 60_000_000_000, recoveryTransactions: 1_000_000,
        graphCreateCommits: 200_000, graphRecoveryNodes: 1_000_000, graphScalingNodes: 10_000_000)

    static let quick = Scale(
        singleCommits: 100_000, batchCommits: 1_000, durableNanos: 500_000_000,
        countBoundNanos: 5_000_000_000, recoveryTransactions: 100_000,
        graphCreateCommits: 20_000, graphRecoveryNodes: 100_000, graphScalingNodes: 100_000)
}

/// One write workload: how many writers commit what, for how long, against which systems.
struct WorkloadSpec: Sendable {
    var name: WorkloadName
    var writers: Int
    var eventsPerCommit: Int
    var eventBytes: Int
    var durability: DurabilityLevel
    var limits: RunLimits
    var systems: [SystemName]
    var subject = WorkloadSubject.logEvents
    /// For the graph database: how many distinct labels its nodes cycle through.
    var graphLabels = 1

    /// The write workloads at `scale`, in the order they run.
    static func writeWorkloads(_ scale: Scale) -> [WorkloadSpec] {
        let relaxedSystems: [SystemName] = [.wal, .sqlite, .rocksdb, .device]
        let durableSystems: [SystemName] = [.wal, .walAsync, .sqlite, .rocksdb, .device]
        var specs = [
            WorkloadSpec(
                name: .groupsyncSingle, writers: 1, eventsPerCommit: 1, eventBytes: 100, durability: .relaxed,
                limits: RunLimits(commitsPerWriter: scale.singleCommits, durationNanos: scale.countBoundNanos),
                systems: relaxedSystems),
            WorkloadSpec(
                name: .batch100, writers: 1, eventsPerCommit: 100, eventBytes: 100, durability: .relaxed,
                limits: RunLimits(commitsPerWriter: scale.batchCommits, durationNanos: scale.countBoundNanos),
                systems: relaxedSystems),
        ]
        for (name, writers) in [(WorkloadName.durable1, 1), (.durable4, 4), (.durable16, 16), (.durable64, 64)] {
            specs.append(
                WorkloadSpec(
                    name: name, writers: writers, eventsPerCommit: 1, eventBytes: 100, durability: .durable,
                    limits: RunLimits(durationNanos: scale.durableNanos), systems: durableSystems))
        }
        specs.append(contentsOf: graphWorkloads(scale))
        return specs
    }

    /// The graph database beside SQLite, one node per transaction: the
    /// same count or duration scheme as the log workloads. Durable with 16
    /// writers is where the graph's group commit shows.
    private static func graphWorkloads(_ scale: Scale) -> [WorkloadSpec] {
        let systems: [SystemName] = [.graphdb, .sqlite]
        let bytes = NodePayload.propertyBytes
        return [
            WorkloadSpec(
                name: .graphCreateGroupSync, writers: 1, eventsPerCommit: 1, eventBytes: bytes, durability: .relaxed,
                limits: RunLimits(commitsPerWriter: scale.graphCreateCommits, durationNanos: scale.countBoundNanos),
                systems: systems, subject: .graphNodes, graphLabels: scale.graphLabels),
            WorkloadSpec(
                name: .graphCreateDurable1, writers: 1, eventsPerCommit: 1, eventBytes: bytes, durability: .durable,
                limits: RunLimits(durationNanos: scale.durableNanos), systems: systems, subject: .graphNodes,
                graphLabels: scale.graphLabels),
            WorkloadSpec(
                name: .graphCreateDurable16, writers: 16, eventsPerCommit: 1, eventBytes: bytes, durability: .durable,
                limits: RunLimits(durationNanos: scale.durableNanos), systems: systems, subject: .graphNodes,
                graphLabels: scale.graphLabels),
        ]
    }
}

extension WorkloadName {
    /// Run only when named with `--workload`: `graph-create-scaling` grows
    /// a graph to ten million nodes, longer than the rest of the run, and
    /// `graph-hub` goes with it.
    var runsByDefault: Bool { self != .graphCreateScaling && self != .graphHub }
}
