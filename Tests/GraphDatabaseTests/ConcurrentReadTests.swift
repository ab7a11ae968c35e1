import Dispatch
import Foundation
import GraphStore
import Synchronization
import Testing
import WALTestSupport
import WriteAheadLog

@testable import GraphDatabase

/// Versions share the newest entries of the store's maps and sets, which
/// writers append to in place (see `TailRun`); a reader's version must
/// never show what was written after it, whole or in part.
@Suite("Readers while a writer creates")
struct ConcurrentReadTests {
    /// What the graph after `count` transactions of the writer below holds,
    /// checked against `graph`; nil when it does.
    static func problem(in graph: GraphStore) -> String? {
        let count = graph.nodeCount
        let nodes = graph.nodes(label: "N", limit: count + 1).items
        guard nodes.count == count else { return "\(count) nodes counted, \(nodes.count) listed" }
        for (position, node) in nodes.enumerated() {
            let id = UInt64(position)
            guard node.id.rawValue == id, node.properties["seq"] == .int(Int64(id)) else {
                return "node \(position) of \(count) is \(node)"
            }
            // Node `id + 1` links to it and marks it, in one transaction.
            let linked = (id + 1) % 3 == 0 && Int(id + 1) < count
            guard (node.properties["linked"] == .bool(true)) == linked else {
                return "node \(id) of \(count) is \(linked ? "not " : "")marked linked"
            }
        }
        let relationships = count > 0 ? (count - 1) / 3 : 0
        guard graph.relationshipCount == relationships else {
            return "\(graph.relationshipCount) relationships among \(count) nodes, expected \(relationships)"
        }
        if relationships > 0 {
            let last = NodeID(UInt64(relationships * 3))
            guard let out = try? graph.relationships(of: last, direction: .outgoing).items, out.count == 1,
                out.first?.target == NodeID(last.rawValue - 1)
            else {
                return "node \(last) of \(count) has the wrong outgoing relationships"
            }
        }
        return nil
    }

    @Test("every version a reader takes is whole", arguments: [SyncMode.none, .groupSync(interval: .milliseconds(2))])
    func readersSeeWholeVersions(syncMode: SyncMode) throws {
        let directory = TemporaryDirectory()
        let (database, _) = try GraphDatabase.open(.dataDirectory(directory.path, syncMode))
        let problems = Shared<[String]>([])
        let versionsChecked = Shared(0)
        let readers = RepeatingThreads(count: 2) {
            let graph = database.snapshot
            if let problem = Self.problem(in: graph) { problems.withLock { $0.append(problem) } }
            versionsChecked.withLock { $0 += 1 }
        }
        var written = 0
        while written < 3_000 || (versionsChecked.value < 50 && written < 200_000) {
            let id = UInt64(written)
            try database.write { transaction in
                try transaction.createNode(labels: ["N"], properties: ["seq": .int(Int64(id))])
                if id % 3 == 0 && id > 0 {
                    try transaction.createRelationship(type: "NEXT", from: NodeID(id), to: NodeID(id - 1))
                    try transaction.setNodeProperty(NodeID(id - 1), key: "linked", value: true)
                }
            }
            // Now and then a transaction that is rolled back after appending.
            if written % 7 == 0 {
                let abandoned = try database.beginWrite()
                _ = try abandoned.run { try $0.createNode(labels: ["N"], properties: ["seq": -1]) }
                abandoned.rollback()
            }
            written += 1
        }
        readers.stop()
        #expect(problems.value.isEmpty, "\(problems.value.prefix(3))")
        #expect(versionsChecked.value > 0)
        #expect(Self.problem(in: database.snapshot) == nil)
        try database.close()
        // And what was logged recovers to the same graph.
        let (reopened, _) = try GraphDatabase.open(.dataDirectory(directory.path, syncMode))
        #expect(reopened.snapshot.nodeCount == written)
        #expect(Self.problem(in: reopened.snapshot) == nil)
        try reopened.close()
    }
}
