import GraphDatabase
import GraphStore
import WriteAheadLog

/// `graph-create-scaling`: one node per transaction under `groupSync`
/// while the graph grows to `--count` nodes (ten million by default),
/// with the rate reported over each decade (10k–100k, 100k–1M, 1M–10M)
/// and over the last tenth before each decade mark, "the rate at N".
///
/// A transaction's cost should not depend on the size of the graph, so
/// the rates should stay flat from decade to decade. The database is the
/// benchmark's usual one (``GraphDatabaseCommitter``'s configuration:
/// managed checkpoints every 256 MiB of log stay on), so checkpoints taken
/// while the graph grows are part of what is measured, as they would be
/// for a user. Each node is ``NodePayload``'s plus a `seq` property, its
/// number, so that once the graph is grown a lookup by label, key and
/// value can be timed: a few scans without an index, then the unique
/// index on (`Person`, `seq`) is built and 10,000 lookups go through it.
///
/// When the managed checkpoints ran is reported too (a checkpoint taking
/// a core for seconds falls in some tenth or other): every 250,000 nodes
/// the run lists the snapshots written so far, whose stamps say at which
/// node each checkpoint began.
struct GraphScalingWorkload {
    let scratch: ScratchDirectory
    let progress: (String) -> Void
    /// `--checkpoint-ratio`, when given.
    var checkpointRatio: Double? = nil

    /// The decade marks up to `nodes`: 10k, 100k, 1M, … and `nodes` itself.
    static func marks(upTo nodes: Int) -> [Int] {
        var marks: [Int] = []
        var mark = 10_000
        while mark <= nodes {
            marks.append(mark)
            mark *= 10
        }
        if marks.last != nodes { marks.append(nodes) }
        return marks
    }

    func run(nodes: Int) throws -> [ResultRow] {
        let directory = scratch.freshPath(WorkloadName.graphCreateScaling.rawValue)
        defer { scratch.discard(directory) }
        let payload = NodePayload()
        let committer = try GraphDatabaseCommitter(
            directory: directory, durability: .relaxed, node: payload, checkpointRatio: checkpointRatio)
        let database = committer.database
        let baseline = ProcessMemory.residentBytes()
        let marks = Self.marks(upTo: nodes)
        // Elapsed time at every tenth of every decade, so each decade's
        // last tenth can be timed on its own.
        var checkpoints: [Int: UInt64] = [0: 0]
        for (index, mark) in marks.enumerated() {
            let previous = index == 0 ? 0 : marks[index - 1]
            checkpoints[previous + (mark - previous) / 10 * 9] = 0
            checkpoints[mark] = 0
        }
        var snapshotsSeen = SnapshotsSeen()
        // Elapsed time at every `SnapshotsSeen.interval` nodes: the rate
        // between them, listed beside the checkpoints, shows what a
        // checkpoint costs while it runs.
        var intervalEnds: [UInt64] = []
        let started = monotonicNanos()
        for created in 1...nodes {
            var properties = payload.properties
            properties["seq"] = .int(Int64(created))
            try database.write { transaction in
                try transaction.createNode(labels: payload.labels, properties: properties)
            }
            if checkpoints[created] != nil { checkpoints[created] = monotonicNanos() - started }
            if created % SnapshotsSeen.interval == 0 {
                intervalEnds.append(monotonicNanos() - started)
                try snapshotsSeen.look(database, nodes: created)
            }
        }
        let resident = ProcessMemory.residentBytes().flatMap { after in baseline.map { max(after - $0, 0) } }
        let endLSN = try database.walStatus()?.nextLSN.rawValue ?? 0
        try measureLookups(database, nodes: nodes)
        // A checkpoint still running when the graph stopped growing has finished by now.
        try snapshotsSeen.look(database, nodes: nil)
        progress("graph-create-scaling: managed checkpoints: " + snapshotsSeen.describe(lsnPerNode: Double(endLSN) / Double(nodes)))
        progress(
            "graph-create-scaling: thousands of nodes a second over each \(ResultTable.grouped(Double(SnapshotsSeen.interval))) nodes: "
                + Self.intervalRates(intervalEnds, nodesEach: SnapshotsSeen.interval))
        try committer.close()
        var rows: [ResultRow] = []
        for (index, mark) in marks.enumerated() {
            let previous = index == 0 ? 0 : marks[index - 1]
            let lastTenth = previous + (mark - previous) / 10 * 9
            let decade = rate(from: previous, to: mark, checkpoints)
            let atMark = rate(from: lastTenth, to: mark, checkpoints)
            progress(
                "graph-create-scaling: \(previous)–\(mark) nodes: \(ResultTable.grouped(decade))/s over the decade, "
                    + "\(ResultTable.grouped(atMark))/s over its last tenth")
            let statistics = RunStatistics(
                commits: mark - lastTenth, events: mark - lastTenth,
                payloadBytes: (mark - lastTenth) * NodePayload.propertyBytes,
                elapsedNanos: (checkpoints[mark] ?? 0) - (checkpoints[lastTenth] ?? 0))
            var row = ResultRow(
                workload: .graphCreateScaling, system: .graphdb, writers: 1, statistics: statistics,
                peakRSSBytes: mark == nodes ? resident : nil)
            row.workload += "@" + Self.short(mark)
            rows.append(row)
        }
        // The issue's comparison: the rate at the largest mark against the
        // rate at 100k (the first mark when the run is smaller), over each
        // mark's last tenth and over the decades ending at them.
        let base = marks.firstIndex(of: 100_000) ?? 0
        if let last = marks.indices.last, last > base {
            let tenth = rows[last].commitsPerSecond / rows[base].commitsPerSecond
            let decade = rate(from: marks[last - 1], to: marks[last], checkpoints)
                / rate(from: base == 0 ? 0 : marks[base - 1], to: marks[base], checkpoints)
            progress(
                "graph-create-scaling: rate at \(Self.short(marks[last])) / rate at \(Self.short(marks[base])) = "
                    + ResultTable.decimal(tenth, places: 2) + " over the last tenths, "
                    + ResultTable.decimal(decade, places: 2) + " over the decades"
                    + (resident.map { ", \(ResultTable.grouped(Double($0) / Double(nodes))) bytes resident per node" } ?? ""))
        }
        return rows
    }

    /// A lookup by label + key + value at the full size: by scan (no
    /// index; three of them, for a value near the end), then through the
    /// unique index built for it (10,000 lookups of pseudo-random values).
    private func measureLookups(_ database: GraphDatabase, nodes: Int) throws {
        var scans: [UInt64] = []
        for round in 0..<3 {
            let value = PropertyValue.int(Int64(nodes - round * 7))
            let started = monotonicNanos()
            let page = database.read { $0.nodes(label: "Person", propertyKey: "seq", value: value, limit: 1) }
            scans.append(monotonicNanos() - started)
            guard page.items.count == 1 else { throw BenchError("the scan for seq \(value) found \(page.items.count) nodes") }
        }
        let building = monotonicNanos()
        try database.write { try $0.createIndex(label: "Person", key: "seq", unique: true) }
        let built = monotonicNanos() - building
        var lookups: [UInt64] = []
        lookups.reserveCapacity(10_000)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<10_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let value = PropertyValue.int(Int64(state >> 33) % Int64(nodes) + 1)
            let started = monotonicNanos()
            let page = database.read { $0.nodes(label: "Person", propertyKey: "seq", value: value, limit: 1) }
            lookups.append(monotonicNanos() - started)
            guard page.items.count == 1 else { throw BenchError("the index lookup for seq \(value) found \(page.items.count) nodes") }
        }
        scans.sort()
        lookups.sort()
        progress(
            "graph-create-scaling: lookup by label+key+value at \(Self.short(nodes)) nodes: "
                + "scan median \(ResultTable.decimal(Double(scans[1]) / 1e6, places: 1)) ms, "
                + "index median \(ResultTable.decimal(Double(lookups[lookups.count / 2]) / 1e3, places: 2)) µs "
                + "(p99 \(ResultTable.decimal(Double(lookups[lookups.count * 99 / 100]) / 1e3, places: 2)) µs), "
                + "unique index built in \(ResultTable.decimal(Double(built) / 1e9, places: 2)) s")
    }

    private func rate(from start: Int, to end: Int, _ checkpoints: [Int: UInt64]) -> Double {
        let nanos = (checkpoints[end] ?? 0) - (checkpoints[start] ?? 0)
        return nanos == 0 ? 0 : Double(end - start) / (Double(nanos) / 1e9)
    }

    /// The snapshots listed as the graph grew: for each checkpoint, the LSN
    /// it was stamped with (where it began) and the node count by which its
    /// snapshot was there (nil: only after the graph stopped growing).
    struct SnapshotsSeen {
        static let interval = 250_000
        private(set) var finished: [(stamp: UInt64, by: Int?)] = []

        mutating func look(_ database: GraphDatabase, nodes: Int?) throws {
            for file in try database.snapshotFiles() where !finished.contains(where: { $0.stamp == file.walLSN.rawValue }) {
                finished.append((file.walLSN.rawValue, nodes))
            }
        }

        /// "began at 2.48M nodes, done by 2.75M; ..." (the node at a stamp
        /// estimated from the log's LSNs per node).
        func describe(lsnPerNode: Double) -> String {
            guard !finished.isEmpty, lsnPerNode > 0 else { return "none" }
            return finished.sorted { $0.stamp < $1.stamp }.map { entry in
                let began = Double(entry.stamp) / lsnPerNode / 1e6
                let done = entry.by.map { "done by \(ResultTable.decimal(Double($0) / 1e6, places: 2))M" } ?? "done after the last node"
                return "began at \(ResultTable.decimal(began, places: 2))M nodes, \(done)"
            }.joined(separator: "; ")
        }
    }

    /// "512 498 455 ...": the rate between consecutive interval ends, in
    /// thousands of nodes a second.
    static func intervalRates(_ ends: [UInt64], nodesEach: Int) -> String {
        var previous: UInt64 = 0
        var rates: [String] = []
        for end in ends {
            let nanos = end - previous
            previous = end
            rates.append(nanos == 0 ? "-" : String(Int((Double(nodesEach) / (Double(nanos) / 1e9) / 1000).rounded())))
        }
        return rates.joined(separator: " ")
    }

    /// 100000 → "100k", 10000000 → "10M".
    static func short(_ count: Int) -> String {
        if count >= 1_000_000, count % 1_000_000 == 0 { return "\(count / 1_000_000)M" }
        if count >= 1_000, count % 1_000 == 0 { return "\(count / 1_000)k" }
        return String(count)
    }
}
