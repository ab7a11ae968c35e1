import Testing
import WriteAheadLog

@testable import GraphStore

/// Interned names, encoded properties and snapshot format 3.
@Suite("Compact storage")
struct CompactStorageTests {
    /// A version-2 snapshot (stamped LSN 7) written by the build before
    /// version 3 (commit b2ade81): nested values, a deleted node and
    /// relationship, a unique index.
    static let version2Hex =
        "4752415048534e500200000007000000000000000300000000000000020000000000000004000000000000000300000000000000a400000000000000affd298b000106506572736f6e0304626f726e03ae1c046e616d6505034164610474616773070205017808010464656570070204000000000000044006010900020541646d696e06506572736f6e02046e616d650503426f620573636f726504000000000000044001000204626c6f62060200ff076e6f7468696e670000054b4e4f57530001010573696e636503e61c01054b4e4f57530100000106506572736f6e046e616d65014fb696f8"

    static let version2Dump = """
        counters nextNode=4 nextRelationship=3
        node 0 ["Person"] {"born": 1815, "name": "Ada", "tags": ["x", {"deep": [2.5, 0x09]}]}
        node 1 ["Admin", "Person"] {"name": "Bob", "score": 2.5}
        node 3 [] {"blob": 0x00ff, "nothing": null}
        relationship 0 (0)-["KNOWS"]->(1) {"since": 1843}
        relationship 2 (1)-["KNOWS"]->(0) {}
        index "Person"."name" unique

        """

    @Test("a version-2 snapshot written before the intern tables still loads")
    func loadsVersion2() throws {
        let bytes = SnapshotFormatTests.bytes(hex: Self.version2Hex)
        #expect(try SnapshotHeader(parsing: bytes).version == 2)
        let (store, walLSN) = try GraphStore.decodeSnapshot(bytes)
        #expect(walLSN == 7)
        #expect(store.dump() == Self.version2Dump)
        #expect(store.consistencyProblems() == [])
        #expect(store.nodes(label: "Person", propertyKey: "name", value: "Bob", limit: 5).items.map(\.id) == [1])
        // Written again, it is the current version, and loads to the same graph.
        let rewritten = store.snapshotBytes(walLSN: 7)
        #expect(try SnapshotHeader(parsing: rewritten).version == SnapshotHeader.currentVersion)
        #expect(try GraphStore.decodeSnapshot(rewritten).store == store)
    }

    @Test("the intern tables survive a snapshot and a replay")
    func tablesSurvive() throws {
        var graph = try SampleGraph()
        try graph.store.setNodeProperty(graph.ada, key: "later", value: 1, events: &graph.events)
        try graph.store.removeNodeProperty(graph.ada, key: "later", events: &graph.events)
        let bytes = graph.store.snapshotBytes(walLSN: 5)
        let (loaded, _) = try GraphStore.decodeSnapshot(bytes)
        var replayed = GraphStore()
        for event in graph.events { try replayed.apply(event) }
        for store in [loaded, replayed] {
            #expect(store == graph.store)
            #expect(Array(store.propertyKeys.allNames) == Array(graph.store.propertyKeys.allNames))
            #expect(Array(store.relationshipTypes.allNames) == Array(graph.store.relationshipTypes.allNames))
            #expect(Array(store.labelSets.allSets) == Array(graph.store.labelSets.allSets))
            #expect(store.consistencyProblems() == [])
        }
        // A key no node has any more stays in the table, and in the snapshot.
        #expect(loaded.propertyKeys.id(of: "later") != nil)
        #expect(loaded.snapshotBytes(walLSN: 5) == bytes, "the same tables give the same bytes")
        #expect(replayed.snapshotBytes(walLSN: 5) == bytes)
    }

    @Test("stores with the same graph are equal whatever names they met first")
    func equalityIgnoresHistory() throws {
        var first = GraphStore()
        var second = GraphStore()
        var events: [MutationEvent] = []
        // The second store numbers keys, types and label sets in another order.
        let scratch = try second.createNode(labels: ["B"], properties: ["b": 1, "z": 0], events: &events)
        let other = try second.createNode(events: &events)
        try second.createRelationship(type: "UNUSED", from: scratch, to: other, events: &events)
        try second.detachDeleteNode(scratch, events: &events)
        try second.deleteNode(other, events: &events)
        try first.createNode(labels: ["A", "B"], properties: ["a": 1, "b": .map(["x": 2])], events: &events)
        try first.createNode(labels: ["B"], properties: ["b": "two"], events: &events)
        try first.createNode(events: &events)
        try first.createNode(events: &events)
        try first.createRelationship(type: "R", from: 2, to: 3, properties: ["b": 3], events: &events)
        try first.createRelationship(type: "R", from: 2, to: 3, events: &events)
        // Ids: the second store has used 0 and 1 for nodes and 0 for a relationship.
        var expected = GraphStore()
        events.removeAll()
        try expected.createNode(events: &events)
        try expected.createNode(events: &events)
        try expected.createRelationship(type: "UNUSED", from: 0, to: 1, events: &events)
        try expected.detachDeleteNode(0, events: &events)
        try expected.deleteNode(1, events: &events)
        try expected.createNode(labels: ["A", "B"], properties: ["a": 1, "b": .map(["x": 2])], events: &events)
        try expected.createNode(labels: ["B"], properties: ["b": "two"], events: &events)
        try expected.createRelationship(type: "R", from: 2, to: 3, properties: ["b": 3], events: &events)
        try second.createNode(labels: ["A", "B"], properties: ["a": 1, "b": .map(["x": 2])], events: &events)
        try second.createNode(labels: ["B"], properties: ["b": "two"], events: &events)
        try second.createRelationship(type: "R", from: 2, to: 3, properties: ["b": 3], events: &events)
        #expect(second.propertyKeys.id(of: "a") != expected.propertyKeys.id(of: "a"), "the tables differ")
        #expect(second == expected)
        #expect(second.dump() == expected.dump())
        try second.setNodeProperty(2, key: "a", value: 2, events: &events)
        #expect(second != expected)
        try second.setNodeProperty(2, key: "a", value: 1, events: &events)
        try second.setRelationshipProperty(1, key: "b", value: 4, events: &events)
        #expect(second != expected)
        #expect(first != expected, "different ids")
    }

    /// Forty properties of every kind, nested ones among them.
    static var manyProperties: [String: PropertyValue] {
        var properties: [String: PropertyValue] = [:]
        for (index, value) in SampleValues.all.enumerated() { properties["p\(index)"] = value }
        properties["many"] = .map(Dictionary(uniqueKeysWithValues: (0..<50).map { ("k\($0)", .int(Int64($0))) }))
        properties[""] = "the empty key"
        properties["ключ 🔑"] = .list([.map(["a": .null]), .bytes([1, 2]), .double(-0.0)])
        return properties
    }

    @Test("a node with many properties and nested values round-trips through mutations, replay and snapshots")
    func manyPropertiesRoundTrip() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        let properties = Self.manyProperties
        let node = try store.createNode(labels: ["Big"], properties: properties, events: &events)
        let relationship = try store.createRelationship(
            type: "SELF", from: node, to: node, properties: properties, events: &events)
        #expect(store.node(node)?.properties == properties)
        #expect(store.relationship(relationship)?.properties == properties)
        for key in properties.keys.sorted() {
            #expect(store.nodes(propertyKey: key, value: properties[key], limit: 2).items.map(\.id) == [node])
        }
        try store.setNodeProperty(node, key: "p3", value: "changed", events: &events)
        try store.removeNodeProperty(node, key: "p0", events: &events)
        try store.setNodeProperty(node, key: "new", value: .list([]), events: &events)
        try store.removeRelationshipProperty(relationship, key: "many", events: &events)
        var expected = properties
        expected["p3"] = "changed"
        expected["p0"] = nil
        expected["new"] = .list([])
        #expect(store.node(node)?.properties == expected)
        #expect(store.relationship(relationship)?.properties.count == properties.count - 1)
        var replayed = GraphStore()
        for event in events { try replayed.apply(event) }
        let (loaded, _) = try GraphStore.decodeSnapshot(store.snapshotBytes())
        for candidate in [replayed, loaded] {
            #expect(candidate == store)
            #expect(candidate.node(node) == store.node(node))
            #expect(candidate.relationship(relationship) == store.relationship(relationship))
            #expect(candidate.consistencyProblems() == [])
        }
    }

    @Test("an encoding's size is computed exactly, so a record's buffer holds nothing spare")
    func exactSize() {
        var keys = NameTable()
        for value in SampleValues.all {
            var bytes: [UInt8] = []
            bytes.appendValue(value)
            #expect(bytes.count == value.encodedSize, "\(value)")
        }
        let blob = PropertyBlob(Self.manyProperties, keys: &keys)
        #expect(blob.decoded(keys: keys) == Self.manyProperties)
        #expect(PropertyBlob([:], keys: &keys).bytes.isEmpty)
    }

    @Test("properties are encoded by key number whatever their order or count", arguments: [1, 2, 3, 15, 16, 17, 40])
    func blobOrder(count: Int) {
        var rng = SeededGenerator(seed: UInt64(count))
        let names = (0..<count).map { "p\(($0 * 37) % 101)" }
        var keys = NameTable()
        // Some keys numbered already, in another order than their names'.
        for name in names.shuffled(using: &rng).prefix(count / 2) { _ = keys.intern(name) }
        var encodings: Set<[UInt8]> = []
        for _ in 0..<4 {
            var properties: [String: PropertyValue] = [:]
            for name in names.shuffled(using: &rng) { properties[name] = .string(name) }
            var table = keys
            let blob = PropertyBlob(properties, keys: &table)
            encodings.insert(blob.bytes)
            let numbers = blob.pairs.map(\.key)
            #expect(numbers == numbers.sorted() && Set(numbers).count == count)
            #expect(blob.decoded(keys: table) == properties)
            // New keys are numbered in name order.
            let added = names.filter { keys.id(of: $0) == nil }.sorted()
            #expect(added.compactMap { table.id(of: $0) } == Array(UInt32(keys.count)..<UInt32(keys.count + added.count)))
        }
        #expect(encodings.count == 1)
    }

    @Test("a creation refused for its id leaves the intern tables as they were")
    func refusedCreationInternsNothing() throws {
        var store = GraphStore()
        for id in 0..<100 as Range<UInt64> { try store.apply(.createNode(id: NodeID(id), labels: ["A"], properties: ["k": 1])) }
        try store.apply(.createRelationship(id: 0, type: "T", source: 0, target: 1, properties: [:]))
        let tables = (store.labelSets.count, store.propertyKeys.count, store.relationshipTypes.count)
        // Ids deep in the trie and among the newest.
        for id in [3, 99] as [UInt64] {
            #expect(throws: GraphStoreError.self) {
                try store.apply(.createNode(id: NodeID(id), labels: ["New"], properties: ["newKey": 1]))
            }
        }
        #expect(throws: GraphStoreError.self) {
            try store.apply(.createRelationship(id: 0, type: "NewType", source: 0, target: 1, properties: ["newKey": 1]))
        }
        #expect((store.labelSets.count, store.propertyKeys.count, store.relationshipTypes.count) == tables)
    }

    @Test("a name table numbers names in order of first use, past the few it finds by comparison")
    func nameTable() {
        var table = NameTable()
        let names = (0..<20).map { "name-\($0)" } + ["", "é", "a long name that does not fit in a small string"]
        for (number, name) in names.enumerated() {
            #expect(table.intern(name) == UInt32(number))
            #expect(table.intern(name) == UInt32(number), "a second intern finds it")
        }
        for (number, name) in names.enumerated() {
            #expect(table.id(of: name) == UInt32(number))
            #expect(table.name(UInt32(number)) == name)
        }
        // Canonically equivalent spellings are one name, as in a dictionary.
        #expect(table.id(of: "e\u{301}") == table.id(of: "é"))
        #expect(table.id(of: "missing") == nil)
        #expect(NameTable().id(of: "") == nil)
        #expect(Array(table.allNames) == names)
    }

    @Test("label sets keep their numbers whichever was interned last, in every version")
    func labelSetNumbers() {
        var table = LabelSets()
        let a: Set<String> = ["A"]
        let b: Set<String> = ["A", "B"]
        #expect(table.intern(a) == 1)
        #expect(table.intern(a) == 1, "the very same set again")
        #expect(table.intern(["A"]) == 1, "an equal set built anew")
        #expect(table.intern(b) == 2)
        #expect(table.intern(a) == 1 && table.intern(b) == 2 && table.intern([]) == 0)
        var later = table
        #expect(later.intern(["C"]) == 3)
        #expect(table.intern(["B"]) == 3, "each version numbers its own new sets")
        #expect(later.intern(["B"]) == 4)
        #expect(later[3] == ["C"] && table[3] == ["B"] && later[4] == ["B"])
        #expect(table.intern(b) == 2 && later.intern(a) == 1)
    }

    @Test("a loaded snapshot's label index, built a word at a time, is the one the mutations built")
    func labelIndexFromSnapshot() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        let sets: [Set<String>] = [["A"], ["A", "B"], [], ["B"], ["C"]]
        var rng = SeededGenerator(seed: 5)
        for number in 0..<3000 {
            let id = try store.createNode(labels: sets[number % sets.count], events: &events)
            // Gaps, so that some 64-id words are partly empty and some missing.
            if UInt64.random(in: 0..<4, using: &rng) == 0 || (number >= 1000 && number < 1200) {
                try store.deleteNode(id, events: &events)
            }
        }
        let (loaded, _) = try GraphStore.decodeSnapshot(store.snapshotBytes())
        #expect(loaded.labelIndex == store.labelIndex)
        #expect(loaded.stats == store.stats)
        #expect(loaded.consistencyProblems() == [])
    }

    @Test("records stay small in a trie leaf: no per-record dictionary, set or adjacency inline")
    func recordSizes() {
        // id, label set number, properties buffer, boxed adjacency.
        #expect(MemoryLayout<IDMap<NodeRecord>.Entry>.stride == 32)
        // id, source, target, type number, properties buffer.
        #expect(MemoryLayout<IDMap<RelationshipRecord>.Entry>.stride == 40)
        // A node's adjacency holds two id sets: trie root, tail run, count,
        // height and tail count; the set's count and its inline last word.
        #expect(MemoryLayout<IDMap<UInt64>>.size <= 32)
        #expect(MemoryLayout<IDSet>.stride <= 56)
    }

    /// Version-3 bodies that break the format's own rules.
    static let lies: [(String, [UInt8], UInt64, UInt64, String)] = [
        // name, body, nodes, relationships, word in the message
        ("a label set out of the table", [0, 0, 0, 0, 1, 0], 1, 0, "label set 1"),
        ("a key out of the table", [0, 0, 0, 0, 0, 3, 1, 0, 0], 1, 0, "key number 0"),
        ("keys out of order", [0, 2, 1, 97, 1, 98, 0, 0, 0, 5, 2, 1, 0, 0, 0], 1, 0, "not above"),
        ("a repeated key", [0, 2, 1, 97, 1, 97, 0], 0, 0, "repeats"),
        ("invalid UTF-8 in a value", [0, 1, 1, 97, 0, 0, 0, 5, 1, 0, 5, 1, 0xFF], 1, 0, "UTF-8"),
        ("bytes after the properties", [0, 1, 1, 97, 0, 0, 0, 4, 1, 0, 0, 0], 1, 0, "left over"),
        ("a type out of the table", [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 1, 1, "type 0"),
    ]

    @Test("a version-3 body that breaks the format is refused", arguments: lies.map(\.0))
    func lyingBody(name: String) throws {
        let (_, body, nodes, relationships, word) = try #require(Self.lies.first { $0.0 == name })
        let bytes = craftSnapshot(
            body: body + [0], nodeCount: nodes, relationshipCount: relationships, nextNodeID: 10,
            nextRelationshipID: 10, version: 3)
        let error = #expect(throws: GraphStoreError.self) { try GraphStore.decodeSnapshot(bytes) }
        #expect(error?.code == .snapshotCorrupt)
        #expect(error?.message.contains(word) == true, "\(error?.message ?? "")")
    }

    @Test("two versions that meet different new names number them apart; the one they share keeps neither")
    func namesBoxIsCopiedOnWrite() throws {
        var base = GraphStore()
        var events: [MutationEvent] = []
        let node = try base.createNode(labels: ["A"], properties: ["shared": 1], events: &events)
        let first = try base.createRelationship(type: "OLD", from: node, to: node, events: &events)
        var left = base
        var right = base
        try left.setNodeProperty(node, key: "leftKey", value: "l", events: &events)
        try right.setNodeProperty(node, key: "rightKey", value: "r", events: &events)
        try left.createRelationship(type: "LEFT", from: node, to: node, events: &events)
        try right.createRelationship(type: "RIGHT", from: node, to: node, events: &events)
        #expect(left.node(node)?.properties == ["shared": 1, "leftKey": "l"])
        #expect(right.node(node)?.properties == ["shared": 1, "rightKey": "r"])
        #expect(base.node(node)?.properties == ["shared": 1])
        #expect(base.propertyKeys.id(of: "leftKey") == nil && base.propertyKeys.id(of: "rightKey") == nil)
        #expect(left.propertyKeys.id(of: "leftKey") == right.propertyKeys.id(of: "rightKey"), "the same next number")
        #expect(base.relationshipTypes.id(of: "LEFT") == nil)
        #expect(try left.relationships(of: node, direction: .outgoing).items.map(\.type).sorted() == ["LEFT", "OLD"])
        #expect(try right.relationships(of: node, direction: .outgoing).items.map(\.type).sorted() == ["OLD", "RIGHT"])
        #expect(base.relationship(first)?.type == "OLD")
        #expect(left.consistencyProblems() == [] && right.consistencyProblems() == [])
        // A transaction that meets no new name shares the tables it read.
        var plain = left
        try plain.setNodeProperty(node, key: "leftKey", value: "again", events: &events)
        #expect(plain.names === left.names)
    }

    @Test("versions that meet different new label sets keep them apart, and a known set shares the table")
    func labelSetsAreCopiedOnWrite() throws {
        var base = GraphStore()
        var events: [MutationEvent] = []
        let first = try base.createNode(labels: ["A"], properties: [:], events: &events)
        var left = base
        var right = base
        let leftNode = try left.createNode(labels: ["L"], properties: [:], events: &events)
        let rightNode = try right.createNode(labels: ["R", "S"], properties: [:], events: &events)
        // Both took the next number, each for its own set.
        #expect(left.labelSets.id(of: ["L"]) == right.labelSets.id(of: ["R", "S"]))
        #expect(left.labelSets.id(of: ["R", "S"]) == nil && right.labelSets.id(of: ["L"]) == nil)
        #expect(base.labelSets.id(of: ["L"]) == nil && base.labelSets.id(of: ["R", "S"]) == nil)
        #expect(left.node(leftNode)?.labels == ["L"] && right.node(rightNode)?.labels == ["R", "S"])
        #expect(left.node(first)?.labels == ["A"] && right.node(first)?.labels == ["A"])
        #expect(left.consistencyProblems() == [] && right.consistencyProblems() == [])
        // The set interned last, carried by a copy, still names the copy's set
        // after the other version numbered a different one the same.
        let again = try left.createNode(labels: ["L"], properties: [:], events: &events)
        #expect(left.node(again)?.labels == ["L"])
        let other = try right.createNode(labels: ["R", "S"], properties: [:], events: &events)
        #expect(right.node(other)?.labels == ["R", "S"])
        // Known sets, the recent one or not, leave the table shared.
        var plain = left
        try plain.createNode(labels: ["A"], properties: [:], events: &events)
        try plain.createNode(labels: ["L"], properties: [:], events: &events)
        #expect(plain.names === left.names)
        #expect(plain.nodes(label: "A", limit: 10).items.count == 2)
    }
}
