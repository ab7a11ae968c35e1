/// The workloads, named as in the table and the JSON.
enum WorkloadName: String, CaseIterable, Sendable {
    case groupsyncSingle = "groupsync-single"
    case batch100 = "batch-100"
    case durable1 = "durable-1"
    case durable4 = "durable-4"
    case durable16 = "durable-16"
    case durable64 = "durable-64"
    case recovery
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

    static let full = Scale(
        singleCommits: 1_000_000, batchCommits: 10_000, durableNanos: 4_000_000_000,
        countBoundNanos: 60_000_000_000, recoveryTransactions: 1_000_000)

    static let quick = Scale(
        singleCommits: 100_000, batchCommits: 1_000, durableNanos: 500_000_000,
        countBoundNanos: 5_000_000_000, recoveryTransactions: 100_000)
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
        return specs
    }
}
