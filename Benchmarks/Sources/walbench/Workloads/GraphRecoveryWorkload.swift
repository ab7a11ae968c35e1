#if canImport(Glibc)
import Glibc
#endif
import GraphDatabase
import WriteAheadLog

/// What the graph recovery child measured, sent to the parent as one JSON value.
struct GraphRecoveryMeasurement: Codable, Sendable {
    var nodes: Int
    var transactionsReplayed: Int
    var eventsReplayed: Int
    var loadedSnapshot: Bool
    /// Bytes recovery read: the snapshot's and the log's valid content.
    var bytesRead: UInt64
    var elapsedNanos: UInt64
    var peakRSSAboveBaseline: Int?
    /// What stayed resident once the open returned: the recovered graph
    /// itself. Peak less this is what recovery needed on top of the graph.
    var residentAboveBaseline: Int?
}

/// `graph-recovery-wal` and `graph-recovery-snapshot`: `GraphDatabase.open`
/// of a data directory holding a graph of single-node transactions, from
/// the log alone or from a checkpoint's snapshot plus the log after it.
///
/// Measured in a child process (`walbench --graph-recovery-child DIR`) for
/// the same reason as `recovery`: the peak memory is the open's own.
struct GraphRecoveryWorkload {
    enum Source: Sendable {
        /// Every node in the log; no snapshot.
        case walOnly
        /// A checkpoint after nine tenths of the nodes, the rest in the log.
        case snapshotAndWAL

        var workload: WorkloadName {
            switch self {
            case .walOnly: .graphRecoveryWAL
            case .snapshotAndWAL: .graphRecoverySnapshot
            }
        }
    }

    let scratch: ScratchDirectory
    let progress: (String) -> Void
    /// Whether the database also has a unique index on a label its nodes
    /// do not carry, as a graph with indexes on other labels has.
    var indexElsewhere = false
    /// Whether each node also has a `seq` property, its number, under a
    /// unique index on (`Person`, `seq`): the recovery keeps the index up
    /// to date from the log, or rebuilds it from the snapshot's nodes.
    var indexOwn = false

    /// The index transactions written before the nodes.
    private var indexTransactions: Int { (indexElsewhere ? 1 : 0) + (indexOwn ? 1 : 0) }

    func run(_ source: Source, nodes: Int) throws -> ResultRow {
        let name = source.workload.rawValue
        let directory = scratch.freshPath(name)
        defer { scratch.discard(directory) }
        try buildDatabase(at: directory, source: source, nodes: nodes)
        // The graph is built with sync mode `none`, which leaves the log's
        // pages dirty. The open fsyncs the last two segments it recovered
        // (up to 128 MiB here), which would then time the disk writing back
        // the builder's pages, not the rebuild: a log written under group
        // commit has at most an interval's worth unsynced. Written back
        // first, the open finds them clean, as a restart usually does.
        Glibc.sync()
        let measurement = try ChildMeasurement.run(["--graph-recovery-child", directory], as: GraphRecoveryMeasurement.self)
        guard measurement.nodes == nodes else {
            throw BenchError("\(name) recovered \(measurement.nodes) nodes, expected \(nodes)")
        }
        // The index's own transaction comes first, below the checkpoint.
        let expectedReplay = source == .walOnly ? nodes + indexTransactions : nodes - Self.checkpointedNodes(nodes)
        guard measurement.transactionsReplayed == expectedReplay, measurement.loadedSnapshot == (source == .snapshotAndWAL) else {
            throw BenchError(
                "\(name) replayed \(measurement.transactionsReplayed) transactions (snapshot: \(measurement.loadedSnapshot)), expected \(expectedReplay)")
        }
        let seconds = Double(measurement.elapsedNanos) / 1e9
        progress(
            "\(name): \(nodes) nodes in \(ResultTable.decimal(seconds, places: 2)) s, "
                + "\(measurement.transactionsReplayed) transactions replayed, snapshot: \(measurement.loadedSnapshot ? "yes" : "no"), "
                + "peak +\(measurement.peakRSSAboveBaseline.map(ResultTable.mebibytes) ?? "?"), "
                + "graph resident after open +\(measurement.residentAboveBaseline.map(ResultTable.mebibytes) ?? "?")")
        let statistics = RunStatistics(
            commits: measurement.nodes, events: measurement.nodes, payloadBytes: Int(measurement.bytesRead),
            elapsedNanos: measurement.elapsedNanos)
        return ResultRow(
            workload: source.workload, system: .graphdb, writers: 1, statistics: statistics,
            peakRSSBytes: measurement.peakRSSAboveBaseline)
    }

    static func checkpointedNodes(_ nodes: Int) -> Int { nodes / 10 * 9 }

    /// No managed checkpoints: the WAL-only database must have no
    /// snapshot, and the other exactly the one taken here.
    private static func configuration(directory: String, syncMode: SyncMode) -> GraphDatabaseConfiguration {
        var configuration = GraphDatabaseConfiguration(
            storage: .dataDirectory(directory), wal: WALOptions(syncMode: syncMode), checkpointEveryBytes: nil)
        configuration.logger.logLevel = .warning
        return configuration
    }

    /// Writes the graph through the database itself, one node per
    /// transaction (sync mode `none`: only what ends up on disk matters).
    private func buildDatabase(at directory: String, source: Source, nodes: Int) throws {
        progress("\(source.workload.rawValue): writing \(nodes) nodes to recover")
        let node = NodePayload()
        let database = try GraphDatabase.open(Self.configuration(directory: directory, syncMode: .none)).database
        if indexElsewhere {
            try database.write { transaction in try transaction.createIndex(label: "Account", key: "email", unique: true) }
        }
        if indexOwn {
            try database.write { transaction in try transaction.createIndex(label: node.label, key: "seq", unique: true) }
        }
        var created = 0
        func create(_ count: Int) throws {
            for _ in 0..<count {
                created += 1
                var properties = node.properties
                if indexOwn { properties["seq"] = .int(Int64(created)) }
                try database.write { transaction in
                    try transaction.createNode(labels: node.labels, properties: properties)
                }
            }
        }
        switch source {
        case .walOnly:
            try create(nodes)
        case .snapshotAndWAL:
            let checkpointed = Self.checkpointedNodes(nodes)
            try create(checkpointed)
            try database.checkpoint()
            try create(nodes - checkpointed)
        }
        try database.close()
    }

    /// The child's side (`walbench --graph-recovery-child DIR`): open the
    /// database, count what it holds, print the measurement.
    static func runChild(directory: String) throws {
        let memory = PeakMemoryProbe()
        let baseline = ProcessMemory.residentBytes()
        let started = monotonicNanos()
        let (database, report) = try GraphDatabase.open(configuration(directory: directory, syncMode: .none))
        let elapsed = monotonicNanos() - started
        let peak = memory.peakAboveBaseline()
        let resident = ProcessMemory.residentBytes().flatMap { after in baseline.map { max(after - $0, 0) } }
        let nodes = database.snapshot.nodeCount
        let bytesRead = (report.wal?.logBytes ?? 0) + (report.snapshotPath.map(ScratchDirectory.treeBytes) ?? 0)
        try database.close()
        try ChildMeasurement.report(
            GraphRecoveryMeasurement(
                nodes: nodes, transactionsReplayed: report.transactionsReplayed, eventsReplayed: report.eventsReplayed,
                loadedSnapshot: report.snapshotPath != nil, bytesRead: bytesRead, elapsedNanos: elapsed,
                peakRSSAboveBaseline: peak, residentAboveBaseline: resident))
    }
}
