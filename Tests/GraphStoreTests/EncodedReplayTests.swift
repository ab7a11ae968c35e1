import Testing
import WriteAheadLog

@testable import GraphStore

/// `EncodedReplay`: events read from their bytes must build exactly the
/// store that decoding them builds, and anything it cannot vouch for must
/// go the decoding way.
@Suite("Encoded replay")
struct EncodedReplayTests {
    /// Replays encoded events as recovery does: prepared from the bytes
    /// where the reader can, decoded otherwise. Returns how many were prepared.
    static func replay(_ encoded: [[UInt8]], into store: inout GraphStore) throws -> Int {
        var reader = EncodedReplay()
        var prepared = 0
        for bytes in encoded {
            if let event = bytes.withUnsafeBytes({ reader.prepare($0, for: &store) }) {
                prepared += 1
                try store.apply(event)
            } else {
                try store.apply(try MutationEvent.decode(bytes))
            }
        }
        return prepared
    }

    /// Replays the same bytes by decoding every event.
    static func replayDecoded(_ encoded: [[UInt8]], into store: inout GraphStore) throws {
        for bytes in encoded { try store.apply(try MutationEvent.decode(bytes)) }
    }

    @Test(
        "random workloads rebuild the store that decoding rebuilds, byte for byte",
        arguments: [3, 17, 2026] as [UInt64], [false, true])
    func randomWorkloads(seed: UInt64, withIndexes: Bool) throws {
        var workload = RandomWorkload(seed: seed, withIndexes: withIndexes)
        try workload.run(steps: 4000)
        let encoded = try workload.events.map { try $0.encoded() }
        var fromBytes = GraphStore()
        var decoded = GraphStore()
        let prepared = try Self.replay(encoded, into: &fromBytes)
        try Self.replayDecoded(encoded, into: &decoded)
        #expect(prepared > 50, "the workload's plain node creations are read from their bytes")
        #expect(fromBytes == workload.store)
        #expect(fromBytes.snapshotBytes() == decoded.snapshotBytes())
        #expect(fromBytes.consistencyProblems() == [])
        #expect(fromBytes.propertyIndexes == decoded.propertyIndexes)
    }

    @Test("nodes of one shape are all read from their bytes once their keys and labels are numbered")
    func oneShape() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        let values: [PropertyValue] = [
            .null, .bool(true), .bool(false), .int(0), .int(-1), .int(.min), .int(.max), .double(-0.5), .double(.nan),
            .string(""), .string("Ünïcödé ✓ 𝄞"), .string(String(repeating: "x", count: 300)), .bytes([0, 255, 7]),
        ]
        for index in 0..<2000 {
            try store.createNode(
                labels: ["Person", "Ünïcode"],
                properties: ["name": values[index % values.count], "seq": .int(Int64(index)), "z": .string("\(index)")],
                events: &events)
        }
        let encoded = try events.map { try $0.encoded() }
        var replayed = GraphStore()
        let prepared = try Self.replay(encoded, into: &replayed)
        #expect(prepared == 1999, "all but the first, which numbers the keys and the label set")
        #expect(replayed == store)
        #expect(replayed.snapshotBytes() == store.snapshotBytes())
        #expect(replayed.nextNodeID == store.nextNodeID)
        #expect(replayed.nodes(label: "Ünïcode", limit: 5000).items.count == 2000)
    }

    /// A `createNode` written by hand: version, tag, id, labels, properties
    /// as (key, value bytes) in the order given.
    static func createNode(id: [UInt8] = [5], labels: [String] = ["Person"], properties: [(String, [UInt8])]) -> [UInt8] {
        var bytes: [UInt8] = [MutationEvent.codecVersion, 1] + id
        bytes.appendVarint(UInt64(labels.count))
        for label in labels { bytes.appendVarString(label) }
        bytes.appendVarint(UInt64(properties.count))
        for (key, value) in properties {
            bytes.appendVarString(key)
            bytes += value
        }
        return bytes
    }

    /// A store that has numbered the label `Person` and the keys `name` and `age`.
    static func storeWithKnownNames() throws -> GraphStore {
        var store = GraphStore()
        var events: [MutationEvent] = []
        try store.createNode(labels: ["Person"], properties: ["name": .string("a"), "age": .int(1)], events: &events)
        return store
    }

    static let name: (String, [UInt8]) = ("name", [ValueTag.string.rawValue, 2] + Array("bo".utf8))
    static let age: (String, [UInt8]) = ("age", [ValueTag.int.rawValue, 84])

    @Test("a well-formed event by hand is read from its bytes, keys in any order")
    func handWritten() throws {
        let store = try Self.storeWithKnownNames()
        for bytes in [Self.createNode(properties: [Self.name, Self.age]), Self.createNode(properties: [Self.age, Self.name])] {
            var fromBytes = store
            var decoded = store
            #expect(try Self.replay([bytes], into: &fromBytes) == 1)
            try Self.replayDecoded([bytes], into: &decoded)
            #expect(fromBytes == decoded)
            #expect(fromBytes.snapshotBytes() == decoded.snapshotBytes())
        }
    }

    @Test(
        "what the decoder accepts but the reader cannot vouch for goes the decoding way and builds the same store",
        arguments: [
            ("an id varint longer than it needs", createNode(id: [0x85, 0x00], properties: [name])),
            ("an int value longer than it needs", createNode(properties: [("age", [ValueTag.int.rawValue, 0x80, 0x00])])),
            ("a string length longer than it needs", createNode(properties: [("name", [ValueTag.string.rawValue, 0x81, 0x00, 0x41])])),
            ("a key the store has not numbered", createNode(properties: [("new", [ValueTag.null.rawValue])])),
            ("a label set the store has not numbered", createNode(labels: ["Other"], properties: [])),
            ("a list value", createNode(properties: [("name", [ValueTag.list.rawValue, 1, ValueTag.null.rawValue])])),
            ("a map value", createNode(properties: [("name", [ValueTag.map.rawValue, 0])])),
        ] as [(String, [UInt8])])
    func decodingWay(_ what: String, _ bytes: [UInt8]) throws {
        let store = try Self.storeWithKnownNames()
        var fromBytes = store
        var decoded = store
        #expect(try Self.replay([bytes], into: &fromBytes) == 0, "\(what)")
        try Self.replayDecoded([bytes], into: &decoded)
        #expect(fromBytes == decoded)
        #expect(fromBytes.snapshotBytes() == decoded.snapshotBytes())
    }

    @Test(
        "what the decoder refuses is never read from the bytes, so the decoder gets to name it",
        arguments: [
            ("a repeated key", createNode(properties: [name, name])),
            ("a repeated label", createNode(labels: ["Person", "Person"], properties: [])),
            ("a string value that is not UTF-8", createNode(properties: [("name", [ValueTag.string.rawValue, 2, 0xC3, 0x28])])),
            ("an unknown value tag", createNode(properties: [("name", [42])])),
            ("a byte left over", createNode(properties: [name]) + [0]),
            ("a cut-short double", createNode(properties: [("name", [ValueTag.double.rawValue, 1, 2, 3])])),
            ("a string longer than the event", createNode(properties: [("name", [ValueTag.string.rawValue, 9, 0x41])])),
            ("an id past 64 bits", createNode(id: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], properties: [])),
            ("another codec version", [2] + createNode(properties: [name]).dropFirst()),
        ] as [(String, [UInt8])])
    func refused(_ what: String, _ bytes: [UInt8]) throws {
        var store = try Self.storeWithKnownNames()
        var reader = EncodedReplay()
        #expect(bytes.withUnsafeBytes { reader.prepare($0, for: &store) } == nil, "\(what)")
        #expect(throws: WALError.self, "\(what)") { _ = try MutationEvent.decode(bytes) }
        // Every truncation of a good event is refused too.
        let good = Self.createNode(properties: [Self.name, Self.age])
        for end in 0..<good.count {
            #expect(Array(good[..<end]).withUnsafeBytes { reader.prepare($0, for: &store) } == nil)
        }
    }

    @Test("with a property index, a node read from its bytes is indexed and its unique constraint holds")
    func withIndexes() throws {
        var store = try Self.storeWithKnownNames()
        try store.apply(.createIndex(label: "Person", key: "name", unique: true))
        let fresh = Self.createNode(id: [7], properties: [("name", [ValueTag.string.rawValue, 1] + Array("z".utf8))])
        let clash = Self.createNode(id: [8], properties: [("name", [ValueTag.string.rawValue, 1] + Array("a".utf8))])
        var fromBytes = store
        #expect(try Self.replay([fresh], into: &fromBytes) == 1)
        #expect(fromBytes.nodes(label: "Person", propertyKey: "name", value: .string("z"), limit: 5).items.map(\.id) == [7])
        var decoded = store
        let decodedError = #expect(throws: GraphStoreError.self) { try Self.replayDecoded([clash], into: &decoded) }
        let error = #expect(throws: GraphStoreError.self) { _ = try Self.replay([clash], into: &fromBytes) }
        #expect(error?.code == decodedError?.code)
        #expect(error?.message == decodedError?.message)
    }

    @Test("with indexes on some labels, nodes of every label set rebuild the store and the indexes that decoding rebuilds")
    func indexesOnSomeLabels() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        try store.createIndex(label: "Person", key: "name", unique: true, events: &events)
        try store.createIndex(label: "City", key: "zip", unique: false, events: &events)
        let labelSets: [Set<String>] = [["Person"], ["Other"], ["Person", "Other"], [], ["City"], ["Other", "Else"]]
        for index in 0..<600 {
            try store.createNode(
                labels: labelSets[index % labelSets.count],
                properties: ["name": .string("n\(index)"), "zip": .int(Int64(index % 7)), "x": .bool(index % 2 == 0)],
                events: &events)
        }
        let encoded = try events.map { try $0.encoded() }
        var fromBytes = GraphStore()
        var decoded = GraphStore()
        let prepared = try Self.replay(encoded, into: &fromBytes)
        try Self.replayDecoded(encoded, into: &decoded)
        #expect(prepared > 300)
        #expect(fromBytes == store)
        #expect(fromBytes.snapshotBytes() == decoded.snapshotBytes())
        #expect(fromBytes.consistencyProblems() == [])
        for label in ["Person", "Other", "City", "Else"] {
            #expect(fromBytes.nodes(label: label, limit: 1000).items.map(\.id) == decoded.nodes(label: label, limit: 1000).items.map(\.id))
        }
        for zip in 0..<7 {
            let query = { (store: GraphStore) in store.nodes(label: "City", propertyKey: "zip", value: .int(Int64(zip)), limit: 1000).items.map(\.id) }
            #expect(query(fromBytes) == query(decoded))
            #expect(!query(fromBytes).isEmpty)
        }
        #expect(fromBytes.nodes(label: "Person", propertyKey: "name", value: .string("n6"), limit: 5).items.map(\.id) == [6])
        // A node with the indexed label, read from its bytes, is still
        // checked against the unique constraint (id 1000: not taken).
        let clash = Self.createNode(id: [0xE8, 0x07], labels: ["Person"], properties: [("name", [ValueTag.string.rawValue, 2] + Array("n0".utf8))])
        var decodedClash = fromBytes
        let before = fromBytes
        let decodedError = #expect(throws: GraphStoreError.self) { try Self.replayDecoded([clash], into: &decodedClash) }
        let error = #expect(throws: GraphStoreError.self) { _ = try Self.replay([clash], into: &fromBytes) }
        #expect(error?.message == decodedError?.message)
        #expect(fromBytes == before && fromBytes.propertyIndexes == before.propertyIndexes, "a refused node changes nothing")
        // A taken id with a clashing value: the id is reported first, as decoding reports it.
        let taken = Self.createNode(id: [6], labels: ["Person"], properties: [("name", [ValueTag.string.rawValue, 2] + Array("n0".utf8))])
        let decodedTaken = #expect(throws: GraphStoreError.self) { try Self.replayDecoded([taken], into: &decodedClash) }
        let takenError = #expect(throws: GraphStoreError.self) { _ = try Self.replay([taken], into: &fromBytes) }
        #expect(takenError?.code == .idInUse && decodedTaken?.code == .idInUse)
        #expect(takenError?.message == decodedTaken?.message)
        #expect(fromBytes == before)
        // A node whose first indexed value is added before its second one
        // clashes: the first addition is undone.
        let twoLabels = Self.createNode(
            id: [0xE9, 0x07], labels: ["City", "Person"],
            properties: [("name", [ValueTag.string.rawValue, 2] + Array("n0".utf8)), ("zip", [ValueTag.int.rawValue, 0x0A])])
        let twoLabelsError = #expect(throws: GraphStoreError.self) { _ = try Self.replay([twoLabels], into: &fromBytes) }
        #expect(twoLabelsError?.code == .uniqueConstraintViolation)
        // (Store equality compares index definitions; the contents here.)
        #expect(fromBytes.propertyIndexes == before.propertyIndexes, "the zip and name indexes are as they were")
    }

    @Test("a node id already taken is refused as decoding refuses it")
    func idTaken() throws {
        let store = try Self.storeWithKnownNames()
        let taken = Self.createNode(id: [0], properties: [Self.name])
        var fromBytes = store
        var decoded = store
        let decodedError = #expect(throws: GraphStoreError.self) { try Self.replayDecoded([taken], into: &decoded) }
        let error = #expect(throws: GraphStoreError.self) { _ = try Self.replay([taken], into: &fromBytes) }
        #expect(error?.message == decodedError?.message)
        #expect(fromBytes == store)
    }
}
