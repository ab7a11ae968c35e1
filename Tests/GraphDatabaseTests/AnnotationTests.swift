import GraphStore
import Testing
import WriteAheadLog
import WALTestSupport

@testable import GraphDatabase

@Suite("Transaction annotations")
struct AnnotationTests {
    @Test("annotations commit with their transaction and come back after a restart, until a checkpoint covers them")
    func recovered() throws {
        let directory = TemporaryDirectory()
        let configuration = GraphDatabaseConfiguration.dataDirectory(directory.path)
        var firstLSN = LSN.none
        do {
            let (database, _) = try GraphDatabase.open(configuration)
            #expect(database.recoveredAnnotations.isEmpty)
            let first = try database.write { tx in
                try tx.createNode(labels: ["A"])
                tx.annotate(name: "test", text: "one")
            }
            firstLSN = first.lsn
            // A rolled-back transaction takes its annotation with it.
            #expect(throws: GraphDatabaseError.self) {
                try database.write { tx in
                    tx.annotate(name: "test", text: "rolled back")
                    try tx.deleteNode(NodeID(999))
                }
            }
            // An annotation alone is logged, and changes nothing in the graph.
            let alone = try database.write { tx in tx.annotate(name: "test", text: "two") }
            #expect(!alone.lsn.isNone)
            #expect(database.snapshot.nodeCount == 1)
            try database.close()
        }
        do {
            let (database, _) = try GraphDatabase.open(configuration)
            #expect(database.recoveredAnnotations.map(\.text) == ["one", "two"])
            #expect(database.recoveredAnnotations.first?.commitLSN == firstLSN)
            #expect(database.snapshot.nodeCount == 1)
            _ = try database.checkpoint()
            try database.close()
        }
        let (database, _) = try GraphDatabase.open(configuration)
        #expect(database.recoveredAnnotations.isEmpty)
        try database.close()
    }
}
