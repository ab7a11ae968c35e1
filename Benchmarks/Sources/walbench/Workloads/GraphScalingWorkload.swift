import GraphDatabase
import WriteAheadLog

/// `graph-create-scaling`: one node per transaction under `groupSync`
/// while the graph grows to `--count` nodes (ten million by default),
/// with the rate reported over each decade (10k–100k, 100k–1M, 1M–10M)
/// and over the last tenth before each decade mark, "the rate at N".
///
/// A transaction's cost should not depend on the size of the graph, so
/// the rates should stay flat from decade to decade. The database is the
/// benchmark's usual one (``GraphDatabaseCommitter``: managed checkpoints
/// every 256 MiB of log stay on), so checkpoints taken while the graph
/// grows are part of what is measured, as they would be for a user.
struct GraphScalingWorkload {
    let scratch: ScratchDirectory
    let progress: (String) -> Void

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
        let committer = try GraphDatabaseCommitter(directory: directory, durability: .relaxed, node: NodePayload())
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
        let started = monotonicNanos()
        for created in 1...nodes {
            try committer.commit(writer: 0)
            if checkpoints[created] != nil { checkpoints[created] = monotonicNanos() - started }
        }
        let resident = ProcessMemory.residentBytes().flatMap { after in baseline.map { max(after - $0, 0) } }
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
        if let first = rows.first, let last = rows.last, first.commitsPerSecond > 0 {
            progress(
                "graph-create-scaling: rate at \(Self.short(marks.last ?? nodes)) / rate at \(Self.short(marks.first ?? 0)) = "
                    + ResultTable.decimal(last.commitsPerSecond / first.commitsPerSecond, places: 2)
                    + (resident.map { ", \(ResultTable.grouped(Double($0) / Double(nodes))) bytes resident per node" } ?? ""))
        }
        return rows
    }

    private func rate(from start: Int, to end: Int, _ checkpoints: [Int: UInt64]) -> Double {
        let nanos = (checkpoints[end] ?? 0) - (checkpoints[start] ?? 0)
        return nanos == 0 ? 0 : Double(end - start) / (Double(nanos) / 1e9)
    }

    /// 100000 → "100k", 10000000 → "10M".
    static func short(_ count: Int) -> String {
        if count >= 1_000_000, count % 1_000_000 == 0 { return "\(count / 1_000_000)M" }
        if count >= 1_000, count % 1_000 == 0 { return "\(count / 1_000)k" }
        return String(count)
    }
}
