import Testing
import WALTestSupport
import WriteAheadLog

@testable import GraphStore

/// A snapshot's nodes decoded on two threads (a reader and a builder) give
/// exactly what one thread gives: the same store from sound bytes, and the
/// same error, naming the same record, from damaged ones.
@Suite("Snapshot nodes on two threads")
struct NodeSectionTests {
    /// `count` nodes with a mix of labels and properties (plain values,
    /// and lists and maps, which take the slower check), some deleted, and
    /// relationships between them.
    static func store(nodes count: Int, seed: UInt64) throws -> GraphStore {
        var random = SeededGenerator(seed: seed)
        var store = GraphStore()
        var events: [MutationEvent] = []
        var ids: [NodeID] = []
        for index in 0..<count {
            var properties: [String: PropertyValue] = ["n": .int(Int64(index))]
            switch Int.random(in: 0..<6, using: &random) {
            case 0: properties["name"] = .string("naïve-\(index)")
            case 1: properties["tags"] = .list([.string("x"), .int(Int64(index)), .null])
            case 2: properties["meta"] = .map(["deep": .list([.double(2.5), .bytes([9, 0])])])
            case 3: properties = [:]
            default: properties["score"] = .double(Double(index) / 7)
            }
            let labels = [["Person"], ["Person", "Admin"], [], ["Thing"]][index % 4]
            ids.append(try store.createNode(labels: Set(labels), properties: properties, events: &events))
            if index % 97 == 5 { try store.detachDeleteNode(ids.removeLast(), events: &events) }
        }
        for index in stride(from: 1, to: ids.count, by: 3) {
            try store.createRelationship(
                type: "KNOWS", from: ids[index - 1], to: ids[index], properties: ["w": .int(Int64(index))], events: &events)
        }
        events.removeAll()
        return store
    }

    /// Both ways over `bytes`: the dump of the store, or the error's message.
    static func outcomes(_ bytes: [UInt8]) -> (one: String, two: String) {
        func run(_ threads: DecodingThreads) -> String {
            do {
                let loaded = try GraphStore.loadSnapshot(bytes, threads: threads)
                return "store \(loaded.store.dump())"
            } catch {
                return "error \(error.code) \(error.message)"
            }
        }
        return (run(.one), run(.two))
    }

    /// Both ways over `bytes` with the first byte of the first `text` in
    /// them made invalid UTF-8 (the checksum made to match again).
    static func outcomes(_ bytes: [UInt8], breaking text: String) throws -> (one: String, two: String) {
        let needle = Array(text.utf8)
        var bytes = bytes
        let at = try #require((0..<(bytes.count - needle.count)).first { Array(bytes[$0..<($0 + needle.count)]) == needle })
        bytes[at] = 0xFF
        return outcomes(SnapshotFormatTests.resealed(bytes))
    }

    @Test("sound snapshots of every size around a batch give the same store both ways", arguments: [0, 1, 4095, 4096, 4097, 20_000])
    func sameStore(nodes: Int) throws {
        let store = try Self.store(nodes: nodes, seed: UInt64(nodes))
        let bytes = store.snapshotBytes(walLSN: LSN(9))
        let two = try GraphStore.loadSnapshot(bytes, threads: .two)
        let one = try GraphStore.loadSnapshot(bytes, threads: .one)
        #expect(two.store == store)
        #expect(one.store == store)
        #expect(two.store.dump() == store.dump())
        #expect(two.store.consistencyProblems() == [])
        #expect(two.store.nodes(label: "Admin", limit: 10).items.map(\.id) == store.nodes(label: "Admin", limit: 10).items.map(\.id))
    }

    @Test("a byte changed in the node section gives the same error, or the same store, both ways")
    func damagedNodes() throws {
        let store = try Self.store(nodes: 9_000, seed: 7)
        let sound = store.snapshotBytes(walLSN: LSN(9))
        let body = SnapshotHeader.size..<(sound.count - SnapshotHeader.trailerSize)
        var random = SeededGenerator(seed: 77)
        var errors = 0
        for _ in 0..<40 {
            var bytes = sound
            // Past the intern tables (a few dozen bytes), mostly among the nodes.
            let offset = Int.random(in: (body.lowerBound + 64)..<body.upperBound, using: &random)
            bytes[offset] ^= UInt8.random(in: 1...255, using: &random)
            let (one, two) = Self.outcomes(SnapshotFormatTests.resealed(bytes))
            #expect(one == two, "byte \(offset)")
            if one.hasPrefix("error") { errors += 1 }
        }
        #expect(errors > 20)
    }

    @Test("bad property bytes name their node, both ways")
    func badPropertiesNamed() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        for index in 0..<5_000 {
            _ = try store.createNode(labels: ["P"], properties: ["k": .string("value-\(index)")], events: &events)
        }
        // The 3,000th node's string, made invalid UTF-8.
        let (one, two) = try Self.outcomes(store.snapshotBytes(walLSN: LSN(1)), breaking: "value-3000")
        #expect(one == two)
        #expect(one.contains("properties of node 3000"), "\(one)")
    }

    @Test("a property of a megabyte among many small ones decodes the same both ways")
    func megabyteProperty() throws {
        var store = try Self.store(nodes: 9_000, seed: 11)
        var events: [MutationEvent] = []
        let big = String(repeating: "m", count: 1 << 20)
        let node = try store.createNode(labels: ["Big"], properties: ["blob": .string(big), "list": .list([.string(big)])], events: &events)
        let bytes = store.snapshotBytes(walLSN: LSN(3))
        let two = try GraphStore.loadSnapshot(bytes, threads: .two)
        #expect(two.store == store)
        #expect(two.store.node(node)?.properties["blob"] == .string(big))
        // Made invalid in the middle of the megabyte, it is named both ways.
        let run = [UInt8](repeating: UInt8(ascii: "m"), count: 64)
        let start = try #require((0..<(bytes.count - 64)).first { bytes[$0] == run[0] && Array(bytes[$0..<($0 + 64)]) == run })
        let at = start + 500_000
        var damaged = bytes
        damaged[at] = 0xFF
        let (one, twoThreads) = Self.outcomes(SnapshotFormatTests.resealed(damaged))
        #expect(one == twoThreads)
        #expect(one.contains("properties of node \(node.rawValue)"), "\(one.prefix(300))")
    }

    @Test("bad property bytes of a relationship name it")
    func badRelationshipPropertiesNamed() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        let a = try store.createNode(labels: ["P"], events: &events)
        let b = try store.createNode(labels: ["P"], events: &events)
        let relationship = try store.createRelationship(type: "R", from: a, to: b, properties: ["k": .string("relvalue")], events: &events)
        let (one, two) = try Self.outcomes(store.snapshotBytes(walLSN: LSN(1)), breaking: "relvalue")
        #expect(one == two)
        #expect(one.contains("properties of relationship \(relationship.rawValue)"), "\(one)")
    }
}
