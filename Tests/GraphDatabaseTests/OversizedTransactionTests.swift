import Foundation
import GraphStore
import Testing
import WALTestSupport
import WriteAheadLog

@testable import GraphDatabase

/// A transaction whose log record would pass the record cap (256 MiB):
/// the commit refuses it whole with an error naming the cap, the graph
/// and the log are as before, and the log goes on committing. Through
/// both paths a node's event can take to the log: encoded as the node is
/// created, and encoded by the commit.
@Suite("Oversized transactions")
struct OversizedTransactionTests {
    /// A value whose encoding alone is over the cap.
    static let overCap = text(bytes: RecordFrame.maximumSize)

    /// A string of `bytes` ASCII bytes, built in one piece (repeating a
    /// character appends it one at a time, slow in a debug build).
    static func text(bytes: Int) -> PropertyValue {
        .string(String(decoding: [UInt8](repeating: UInt8(ascii: "x"), count: bytes), as: UTF8.self))
    }

    /// What makes the transaction too large.
    enum Shape: String, CaseIterable, CustomStringConvertible {
        case oneNode = "one node over the cap"
        case manyNodes = "many nodes over the cap together"
        case propertySet = "a property set over the cap"

        var description: String { rawValue }
    }

    @Test("a transaction over the record cap is refused whole and the log goes on", arguments: Shape.allCases)
    func refusedWhole(shape: Shape) throws {
        let directory = TemporaryDirectory()
        let configuration = GraphDatabaseConfiguration.dataDirectory(directory.path)
        let (database, _) = try GraphDatabase.open(configuration)
        let kept = try database.write { try $0.createNode(labels: ["Kept"], properties: ["n": 1]) }.value
        let before = database.read { $0 }

        let error = #expect(throws: GraphDatabaseError.self) {
            try database.write { transaction in
                switch shape {
                case .oneNode:
                    try transaction.createNode(labels: ["Doc"], properties: ["body": Self.overCap])
                case .manyNodes:
                    // Each node is small enough; the transaction's record is not.
                    let chunk = Self.text(bytes: 16 << 20)
                    for _ in 0...(RecordFrame.maximumSize / (16 << 20)) {
                        try transaction.createNode(labels: ["Doc"], properties: ["body": chunk])
                    }
                case .propertySet:
                    try transaction.setNodeProperty(kept, key: "body", value: Self.overCap)
                }
            }
        }
        let message = "\(String(describing: error))"
        #expect(message.contains("cap"), "\(message)")
        #expect(database.failure == nil)
        #expect(database.read { $0 } == before)

        // The log is healthy: the next transaction commits and survives a restart.
        let next = try database.write { try $0.createNode(labels: ["After"], properties: ["n": 2]) }.value
        try database.close()
        let (reopened, _) = try GraphDatabase.open(configuration)
        #expect(reopened.read { $0.nodeCount } == 2)
        #expect(reopened.read { $0.node(next)?.labels } == ["After"])
        #expect(reopened.read { $0.node(kept)?.properties["body"] } == nil)
        try reopened.close()
    }
}
