import GraphDatabase
import GraphStore
import WriteAheadLog

/// `graph-hub`: `--count` relationships (100,000 by default) added to one
/// hub node, one per transaction under `groupSync`, timing the first and
/// the last tenth of them.
///
/// A relationship's transaction touches both endpoints' adjacency; when
/// that costs the hub's degree, the last tenth is far slower than the
/// first. Flat means within 2 times.
struct GraphHubWorkload {
    let scratch: ScratchDirectory
    let progress: (String) -> Void

    func run(relationships: Int) throws -> [ResultRow] {
        let directory = scratch.freshPath(WorkloadName.graphHub.rawValue)
        defer { scratch.discard(directory) }
        let committer = try GraphDatabaseCommitter(directory: directory, durability: .relaxed, node: NodePayload())
        let database = committer.database
        let (hub, leaf) = try database.write { transaction in
            (try transaction.createNode(labels: ["Hub"]), try transaction.createNode(labels: ["Leaf"]))
        }.value
        let tenth = max(relationships / 10, 1)
        let baseline = ProcessMemory.residentBytes()
        var marks: [UInt64] = []
        let started = monotonicNanos()
        for created in 0..<relationships {
            if created == tenth || created == relationships - tenth { marks.append(monotonicNanos()) }
            try database.write { transaction in
                try transaction.createRelationship(type: "LINK", from: hub, to: leaf)
            }
        }
        let ended = monotonicNanos()
        // What the relationships added, the log's mapped pages aside
        // (the flusher unmaps them once synced): their records, their ids
        // in both endpoints' sets, and the heap's slack.
        let resident = ProcessMemory.residentBytes().flatMap { after in baseline.map { max(after - $0, 0) } }
        try committer.close()
        guard marks.count == 2 else { throw BenchError("graph-hub needs at least 10 relationships") }
        let first = Double(marks[0] - started) / Double(tenth)
        let last = Double(ended - marks[1]) / Double(tenth)
        progress(
            "graph-hub: \(relationships) relationships on one node: first tenth \(ResultTable.decimal(first / 1e3, places: 2)) µs/tx, "
                + "last tenth \(ResultTable.decimal(last / 1e3, places: 2)) µs/tx, last/first = \(ResultTable.decimal(last / first, places: 2))"
                + (resident.map { ", \(ResultTable.grouped(Double($0) / Double(relationships))) bytes resident per relationship" } ?? ""))
        var rows: [ResultRow] = []
        for (label, nanos) in [("first", marks[0] - started), ("last", ended - marks[1])] {
            var row = ResultRow(
                workload: .graphHub, system: .graphdb, writers: 1,
                statistics: RunStatistics(commits: tenth, events: tenth, payloadBytes: 0, elapsedNanos: nanos),
                peakRSSBytes: nil)
            row.workload += "@" + label
            rows.append(row)
        }
        return rows
    }
}
