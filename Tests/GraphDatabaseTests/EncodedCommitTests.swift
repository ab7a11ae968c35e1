import Foundation
import GraphStore
import Testing
import WALTestSupport
import WriteAheadLog

@testable import GraphDatabase

/// A write transaction's node creations encode their events as they go,
/// and the commit encodes only what other mutations left: the log must
/// hold exactly the transaction's events, whatever the mix.
@Suite("Encoded commits")
struct EncodedCommitTests {
    struct Abort: Error {}

    /// Reads back every committed transaction's events from the log.
    static func loggedTransactions(in root: String) throws -> [[MutationEvent]] {
        var transactions: [[MutationEvent]] = []
        _ = try WAL<MutationEvent>.replay(directory: root + "/wal") { transactions.append($0.events) }
        return transactions
    }

    @Test("mixed transactions log exactly their events, and a restart rebuilds the same records")
    func mixedTransactions() throws {
        let directory = TemporaryDirectory()
        let configuration = GraphDatabaseConfiguration.dataDirectory(directory.path)
        let (database, _) = try GraphDatabase.open(configuration)
        var expected: [[MutationEvent]] = []
        for round in 0..<40 {
            // A transaction that fails after emitting leaves nothing behind.
            if round % 7 == 3 {
                #expect(throws: Abort.self) {
                    try database.write { tx in
                        try tx.createNode(labels: ["Ghost"], properties: ["name": "ghost"])
                        throw Abort()
                    }
                }
            }
            let result = try database.write { tx -> [MutationEvent] in
                // The memory of the last transaction's events is reused, never its events.
                #expect(tx.events.isEmpty)
                let a = try tx.createNode(labels: ["Person"], properties: ["name": .string("a\(round)"), "n": .int(Int64(round))])
                // Other mutations in between leave events for the next creation to encode first.
                if round % 2 == 0 { try tx.setNodeProperty(a, key: "tags", value: .list([.string("x"), .null])) }
                if round % 3 == 0 { tx.annotate(name: "note", text: "round \(round)") }
                // Keys met for the first time take the public path, then later ones the encoded one.
                let b = try tx.createNode(labels: ["Person", "New\(round % 4)"], properties: ["k\(round % 5)": .double(1.5)])
                try tx.createRelationship(type: "KNOWS", from: a, to: b, properties: ["w": .int(1)])
                try tx.createNode(labels: [], properties: [:])
                // A refused creation in the middle changes nothing.
                #expect(throws: GraphDatabaseError.self) {
                    try tx.createNode(properties: ["deep": SampleDeepValue.value])
                }
                try tx.createNode(labels: ["Person"], properties: ["name": .string("c\(round)"), "n": .int(-1)])
                if round % 5 == 4 { try tx.detachDeleteNode(b) }
                return tx.events
            }
            expected.append(result.value)
            #expect(result.eventCount == result.value.count)
        }
        // An explicit transaction too: its batch is shared with the object that holds it.
        let explicit = try database.beginWrite()
        try explicit.run { tx in
            #expect(tx.events.isEmpty)
            try tx.createNode(labels: ["Person"], properties: ["name": "explicit", "n": 0])
            try tx.createNode(labels: ["Person"], properties: ["name": "explicit2", "n": 1])
        }
        expected.append(try explicit.run { $0.events })
        try explicit.commit()
        let snapshotBytes = database.snapshot.snapshotBytes()
        try database.close()

        #expect(expected.map(\.count).allSatisfy { $0 >= 2 && $0 <= 9 })
        #expect(try Self.loggedTransactions(in: directory.path) == expected)
        #expect(database.snapshot.nodes(label: "Ghost", limit: 5).items.isEmpty)
        let (reopened, _) = try GraphDatabase.open(configuration)
        #expect(reopened.snapshot.snapshotBytes() == snapshotBytes, "the same records, byte for byte")
        try reopened.close()
    }
}

extension EncodedCommitTests {
    @Test("megabyte nodes committed through the encoded path survive restart, checkpoint and restart again")
    func megabyteNodesAcrossRestarts() throws {
        let directory = TemporaryDirectory()
        let configuration = GraphDatabaseConfiguration.dataDirectory(directory.path, segmentTargetBytes: 1 << 20)
        var (database, _) = try GraphDatabase.open(configuration)
        let big: [String: PropertyValue] = [
            "text": .string(String(repeating: "ü", count: 700_000)), "blob": .bytes(Array(repeating: 7, count: 1 << 20)),
        ]
        for round in 0..<6 {
            try database.write { tx in
                try tx.createNode(labels: ["Big"], properties: big.merging(["n": .int(Int64(round))]) { $1 })
                try tx.createNode(labels: ["Small"], properties: ["n": .int(Int64(round))])
            }
            if round == 1 { try database.checkpoint() }
            if round % 2 == 1 {
                let bytes = database.snapshot.snapshotBytes()
                try database.close()
                (database, _) = try GraphDatabase.open(configuration)
                #expect(database.snapshot.snapshotBytes() == bytes, "round \(round)")
            }
        }
        #expect(database.snapshot.nodes(label: "Big", limit: 10).items.count == 6)
        #expect(database.snapshot.nodes(label: "Big", limit: 10).items.allSatisfy { $0.properties["blob"] == big["blob"] })
        try database.close()
    }
}

/// A value nested one level deeper than a store accepts.
enum SampleDeepValue {
    static var value: PropertyValue {
        var value: PropertyValue = .int(1)
        for level in 0...PropertyValue.maximumNestingDepth {
            value = level.isMultiple(of: 2) ? .list([value]) : .map(["k": value])
        }
        return value
    }
}
