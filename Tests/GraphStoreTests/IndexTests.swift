import Testing
import WriteAheadLog

@testable import GraphStore

@Suite("Property indexes")
struct IndexTests {
    /// The same lookup through the index and through a scan of a copy without it.
    static func expectIndexAgreesWithScan(
        _ store: GraphStore, label: String, key: String, value: PropertyValue,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        var unindexed = store
        var ignored: [MutationEvent] = []
        unindexed.dropIndex(label: label, key: key, events: &ignored)
        let indexed = store.nodes(label: label, propertyKey: key, value: value, limit: 1000)
        let scanned = unindexed.nodes(label: label, propertyKey: key, value: value, limit: 1000)
        #expect(indexed == scanned, sourceLocation: sourceLocation)
    }

    @Test("an index finds nodes by label, key and value, and follows every mutation")
    func followsMutations() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        let a = try store.createNode(labels: ["Person"], properties: ["name": "Ada"], events: &events)
        #expect(try store.createIndex(label: "Person", key: "name", events: &events))
        #expect(store.indexes == [PropertyIndexDescription(label: "Person", key: "name", isUnique: false)])
        let b = try store.createNode(labels: ["Person"], properties: ["name": "Ada"], events: &events)
        let c = try store.createNode(properties: ["name": "Ada"], events: &events)
        #expect(store.nodes(label: "Person", propertyKey: "name", value: "Ada", limit: 10).items.map(\.id) == [a, b])
        try store.setNodeProperty(b, key: "name", value: "Bob", events: &events)
        try store.addNodeLabel(c, label: "Person", events: &events)
        #expect(store.nodes(label: "Person", propertyKey: "name", value: "Ada", limit: 10).items.map(\.id) == [a, c])
        #expect(store.nodes(label: "Person", propertyKey: "name", value: "Bob", limit: 10).items.map(\.id) == [b])
        // Paging through the index.
        let first = store.nodes(label: "Person", propertyKey: "name", value: "Ada", limit: 1)
        #expect(first.items.map(\.id) == [a] && first.nextCursor == a)
        #expect(store.nodes(label: "Person", propertyKey: "name", value: "Ada", limit: 1, after: a).items.map(\.id) == [c])
        try store.removeNodeProperty(a, key: "name", events: &events)
        try store.removeNodeLabel(c, label: "Person", events: &events)
        #expect(store.nodes(label: "Person", propertyKey: "name", value: "Ada", limit: 10).items.isEmpty)
        try store.createRelationship(type: "KNOWS", from: b, to: a, events: &events)
        try store.detachDeleteNode(b, events: &events)
        #expect(store.nodes(label: "Person", propertyKey: "name", value: "Bob", limit: 10).items.isEmpty)
        for value: PropertyValue in ["Ada", "Bob"] { Self.expectIndexAgreesWithScan(store, label: "Person", key: "name", value: value) }
        #expect(store.consistencyProblems() == [])
        store.clear(events: &events)
        #expect(store.indexes.count == 1, "clear keeps the definitions")
        #expect(store.consistencyProblems() == [])

        // The events replay to the same store, index included.
        var replayed = GraphStore()
        for event in events { try replayed.apply(event) }
        #expect(replayed == store)
        #expect(replayed.consistencyProblems() == [])
        #expect(store.dropIndex(label: "Person", key: "name", events: &events))
        #expect(!store.dropIndex(label: "Person", key: "name", events: &events))
        #expect(store.indexes.isEmpty)
    }

    @Test("an index built over existing nodes matches a scan, values compared exactly")
    func buildsFromExistingNodes() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        let values: [PropertyValue] = [1, 1.0, "1", .double(-0.0), .double(0.0), [1, 2], nil, true]
        for (index, value) in values.enumerated() {
            try store.createNode(labels: index % 2 == 0 ? ["A"] : ["A", "B"], properties: ["k": value], events: &events)
            try store.createNode(labels: ["B"], properties: ["k": value], events: &events)
        }
        try store.createIndex(label: "A", key: "k", events: &events)
        for value in values {
            #expect(store.nodes(label: "A", propertyKey: "k", value: value, limit: 10).items.count == 1)
            Self.expectIndexAgreesWithScan(store, label: "A", key: "k", value: value)
        }
        #expect(store.consistencyProblems() == [])
    }

    @Test("a unique index refuses a second node with the value, and the refusal changes nothing")
    func uniqueConstraint() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        try store.createIndex(label: "User", key: "email", unique: true, events: &events)
        let ada = try store.createNode(labels: ["User"], properties: ["email": "ada@x"], events: &events)
        let other = try store.createNode(labels: ["Guest"], properties: ["email": "ada@x"], events: &events)
        let before = store
        let eventCount = events.count
        let refusals: [@Sendable (inout GraphStore, inout [MutationEvent]) throws -> Void] = [
            { store, events in
                try store.createNode(labels: ["User"], properties: ["email": "ada@x"], events: &events)
            },
            { store, events in try store.addNodeLabel(other, label: "User", events: &events) },
            { store, events in
                let bob = try store.createNode(labels: ["User"], properties: ["email": "bob@x"], events: &events)
                try store.setNodeProperty(bob, key: "email", value: "ada@x", events: &events)
            },
        ]
        for refusal in refusals {
            var attempt = store
            var attemptEvents = events
            let error = #expect(throws: GraphStoreError.self) { try refusal(&attempt, &attemptEvents) }
            #expect(error?.code == .uniqueConstraintViolation)
            #expect(error?.message.contains("node \(ada)") == true, "the message names the node that has the value")
        }
        #expect(store == before && events.count == eventCount)
        // Setting a node's own value again, or to a value on another label, is fine.
        try store.setNodeProperty(ada, key: "email", value: "ada@x", events: &events)
        try store.setNodeProperty(other, key: "email", value: "ada@x", events: &events)
        // A unique index cannot be built over duplicates; the other uniqueness conflicts.
        try store.addNodeLabel(other, label: "Member", events: &events)
        let member = try store.createNode(labels: ["Member"], properties: ["email": "ada@x"], events: &events)
        let duplicate = #expect(throws: GraphStoreError.self) {
            try store.createIndex(label: "Member", key: "email", unique: true, events: &events)
        }
        #expect(duplicate?.code == .uniqueConstraintViolation)
        #expect(duplicate?.message.contains("nodes \(other) and \(member) both have the value") == true, "names both nodes")
        #expect(store.index(label: "Member", key: "email") == nil)
        let conflict = #expect(throws: GraphStoreError.self) {
            try store.createIndex(label: "User", key: "email", unique: false, events: &events)
        }
        #expect(conflict?.code == .indexConflict)
        let count = events.count
        #expect(try !store.createIndex(label: "User", key: "email", unique: true, events: &events))
        #expect(events.count == count, "an index that exists emits nothing")
    }

    @Test("mergeNode finds the node by its unique key or creates it, and needs a unique index")
    func mergeNode() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        let missing = #expect(throws: GraphStoreError.self) {
            try store.mergeNode(label: "User", key: "email", value: "ada@x", events: &events)
        }
        #expect(missing?.code == .indexNotFound)
        try store.createIndex(label: "User", key: "email", events: &events)
        #expect(throws: GraphStoreError.self) {
            try store.mergeNode(label: "User", key: "email", value: "ada@x", events: &events)
        }
        store.dropIndex(label: "User", key: "email", events: &events)
        try store.createIndex(label: "User", key: "email", unique: true, events: &events)
        let created = try store.mergeNode(
            label: "User", key: "email", value: "ada@x", labels: ["Admin"], properties: ["name": "Ada"], events: &events)
        #expect(created.created)
        #expect(store.node(created.id) == Node(id: created.id, labels: ["User", "Admin"], properties: ["name": "Ada", "email": "ada@x"]))
        let count = events.count
        let found = try store.mergeNode(
            label: "User", key: "email", value: "ada@x", properties: ["name": "Other"], events: &events)
        #expect(found.id == created.id && !found.created)
        #expect(events.count == count, "finding emits nothing")
        #expect(store.node(created.id)?.properties["name"] == "Ada", "properties apply on creation only")
    }

    @Test("index events round-trip through the codec, and a bad unique flag is refused")
    func codec() throws {
        for event in [MutationEvent.createIndex(label: "P", key: "k", unique: true), .createIndex(label: "é", key: "", unique: false), .dropIndex(label: "P", key: "k")] {
            #expect(try MutationEvent.decode(event.encoded()) == event)
        }
        var bytes = try MutationEvent.createIndex(label: "P", key: "k", unique: true).encoded()
        bytes[bytes.count - 1] = 2
        let error = #expect(throws: WALError.self) { try MutationEvent.decode(bytes) }
        #expect(error?.message.contains("unique") == true)
        #expect(MutationEvent.createIndex(label: "P", key: "k", unique: true).description == #"createIndex(label: "P", key: "k", unique: true)"#)
    }

    @Test("an unindexed lookup with a scan limit stops there with a cursor to continue from")
    func boundedScan() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        for number in 0..<50 {
            try store.createNode(labels: ["N"], properties: ["even": .bool(number % 2 == 0)], events: &events)
        }
        var found: [NodeID] = []
        var after: NodeID? = nil
        var pages = 0
        repeat {
            let page = store.nodes(label: "N", propertyKey: "even", value: true, limit: 100, after: after, scanLimit: 7)
            #expect(page.items.count <= 4)
            found += page.items.map(\.id)
            after = page.nextCursor
            pages += 1
        } while after != nil && pages < 100
        #expect(found == (0..<25).map { NodeID(UInt64($0 * 2)) })
        // With an index the limit does not apply: one page holds them all.
        try store.createIndex(label: "N", key: "even", events: &events)
        #expect(store.nodes(label: "N", propertyKey: "even", value: true, limit: 100, scanLimit: 7).items.count == 25)
    }

    @Test("a hash finds candidates: a node whose value is not the one asked for is never an answer")
    func candidatesAreChecked() {
        var index = PropertyIndex(isUnique: true)
        index.insert(.int(1), for: 5)
        index.insert(.string("a"), for: 6)
        index.insert(.string("a"), for: 9)
        // As a hash collision would look: the candidates' records hold other values.
        let collided = { (_: UInt64) -> PropertyValue? in .int(2) }
        #expect(index.candidates(for: .int(1)).map { $0 } == [5])
        #expect(index.firstNode(with: .int(1), valueOf: collided) == nil)
        #expect(index.otherNode(with: .int(1), than: 7, valueOf: collided) == nil)
        #expect(index.firstNode(with: .string("a"), valueOf: collided) == nil)
        let actual = { (node: UInt64) -> PropertyValue? in node == 5 ? .int(1) : .string("a") }
        #expect(index.firstNode(with: .int(1), valueOf: actual) == 5)
        #expect(index.otherNode(with: .string("a"), than: 6, valueOf: actual) == 9)
        #expect(index.otherNode(with: .int(1), than: 5, valueOf: actual) == nil)
        // A hash back to one node leaves the shared trie.
        index.remove(.string("a"), for: 6)
        #expect(index.shared.isEmpty && index.nodeCount == 2)
        #expect(index.firstNode(with: .string("a"), valueOf: actual) == 9)
        index.remove(.int(1), for: 5)
        index.remove(.string("a"), for: 9)
        #expect(index == PropertyIndex(isUnique: true), "an emptied index equals a new one")
    }

    @Test(
        "an index built in sorted batches equals one built a node at a time, and names the duplicate id order meets first",
        arguments: [1, 2, 7, 64, 1 << 20])
    func batchedBuild(batch: Int) {
        var generator = SeededGenerator(seed: UInt64(batch))
        // Few distinct values, so duplicates abound; strings, numbers and
        // doubles alike (their hashes spread over the trie differently).
        let nodes: [(node: UInt64, value: PropertyValue)] = (0..<600).map { position in
            let pick = Int.random(in: 0..<90, using: &generator)
            let value: PropertyValue = pick < 30 ? .int(Int64(pick)) : pick < 60 ? .string("v\(pick)") : .double(Double(pick) / 4)
            // Ids ascend with gaps, as a label's ids do.
            return (node: UInt64(position * 3 + Int.random(in: 0..<3, using: &generator)), value: value)
        }
        let values = Dictionary(uniqueKeysWithValues: nodes.map { ($0.node, $0.value) })
        let valueOf = { (node: UInt64) in values[node] }
        var oneByOne = PropertyIndex(isUnique: false)
        for (node, value) in nodes { oneByOne.insert(value, for: node) }
        let (built, none) = PropertyIndex.build(isUnique: false, from: nodes, valueOf: valueOf, batch: batch)
        #expect(built == oneByOne)
        #expect(none == nil, "a non-unique index has no duplicates to report")

        // Unique: the first node in id order whose value a lower id had.
        var firstWith: [PropertyValue: UInt64] = [:]
        var expected: PropertyIndex.Duplicate?
        for (node, value) in nodes {
            if let first = firstWith[value] {
                expected = PropertyIndex.Duplicate(first: first, second: node, value: value)
                break
            }
            firstWith[value] = node
        }
        #expect(expected != nil)
        #expect(PropertyIndex.build(isUnique: true, from: nodes, valueOf: valueOf, batch: batch).duplicate == expected)
        // Without duplicates a unique index is built whole.
        for (node, value) in nodes where firstWith[value] == nil { firstWith[value] = node }
        let distinct = nodes.filter { firstWith[$0.value] == $0.node }
        #expect(distinct.count == Set(nodes.map(\.value)).count)
        let (unique, noDuplicate) = PropertyIndex.build(isUnique: true, from: distinct, valueOf: valueOf, batch: batch)
        #expect(noDuplicate == nil)
        #expect(unique.nodeCount == distinct.count)
        #expect(distinct.allSatisfy { unique.firstNode(with: $0.value, valueOf: valueOf) == $0.node })
        // Every node is found by its value, and by no other value.
        #expect(nodes.allSatisfy { entry in built.candidates(for: entry.value).contains(entry.node) })
        #expect(nodes.allSatisfy { entry in
            built.candidates(for: entry.value).filter { valueOf($0) == entry.value } == nodes.filter { $0.value == entry.value }.map(\.node)
        })
    }
}

@Suite("Persistent storage")
struct PersistenceTests {
    @Test("adding a relationship to a hub copies one path of its adjacency, not the adjacency")
    func hubAdjacencyIsShared() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        let hub = try store.createNode(events: &events)
        let leaf = try store.createNode(events: &events)
        for _ in 0..<100_000 {
            try store.createRelationship(type: "LINK", from: hub, to: leaf, events: &events)
            events.removeAll(keepingCapacity: true)
        }
        let before = store
        try store.createRelationship(type: "LINK", from: hub, to: leaf, events: &events)
        let old = try #require(before.nodeRecords[hub.rawValue])
        let new = try #require(store.nodeRecords[hub.rawValue])
        #expect(new.outgoing.count == 100_001 && old.outgoing.count == 100_000)
        // The adjacency's trie is four levels deep here; a write copies one
        // path, or the map's tail run, or (when the run fills) both.
        #expect(new.outgoing.words.nodesNotShared(with: old.outgoing.words) <= new.outgoing.words.depth + 1)
        #expect(store.relationshipRecords.nodesNotShared(with: before.relationshipRecords) <= store.relationshipRecords.depth + 1)
        #expect(store.nodeRecords.nodesNotShared(with: before.nodeRecords) <= store.nodeRecords.depth + 1)
        #expect(try before.relationships(of: hub, direction: .outgoing).items.count == 100_000, "the old version is intact")
    }

    /// The address of a set's storage: equal for sets that share it.
    static func storage(of labels: Set<String>) -> UInt {
        withUnsafeBytes(of: labels) { $0.load(as: UInt.self) }
    }

    @Test("nodes with the same labels share one set, through mutations, replay and snapshots")
    func labelSetsAreShared() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        for _ in 0..<100 { try store.createNode(labels: ["Person", "Admin"], events: &events) }
        let other = try store.createNode(labels: ["Person"], events: &events)
        try store.addNodeLabel(other, label: "Admin", events: &events)
        var replayed = GraphStore()
        for event in events { try replayed.apply(event) }
        let (loaded, _) = try GraphStore.decodeSnapshot(store.snapshotBytes())
        for candidate in [store, replayed, loaded] {
            let addresses = Set(candidate.nodes(limit: 1000).items.map { Self.storage(of: $0.labels) })
            #expect(addresses.count == 1, "101 nodes, one set")
            #expect(candidate == store)
        }
        #expect(store.labelSets.count == 2)
        try store.removeNodeLabel(other, label: "Admin", events: &events)
        #expect(store.node(other)?.labels == ["Person"])
        #expect(store.consistencyProblems() == [])
    }

    @Test("a store nothing else holds updates its property index in place, as recovery's replay does")
    func indexUpdatedInPlace() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        try store.createIndex(label: "Person", key: "id", unique: true, events: &events)
        for number in 0..<5_000 {
            try store.createNode(labels: ["Person"], properties: ["id": .int(Int64(number))], events: &events)
        }
        // The address of the index trie's root node: the first word of a
        // TreeDictionary. A root copied is a path copied.
        func root(_ store: GraphStore) throws -> UInt {
            let index = try #require(store.propertyIndexes["Person"]?["id"])
            return withUnsafeBytes(of: index.single) { $0.load(as: UInt.self) }
        }
        // The probe sees a copy where one must happen: another version holds the index.
        let held = store
        try store.createNode(labels: ["Person"], properties: ["id": 5_000], events: &events)
        #expect(try root(store) != root(held), "with an older version held, the new one copies its path")
        _ = consume held
        // Nothing else holds the store: no copy, however many nodes follow.
        let before = try root(store)
        for number in 5_001..<5_100 {
            try store.createNode(labels: ["Person"], properties: ["id": .int(Int64(number))], events: &events)
        }
        try store.setNodeProperty(NodeID(42), key: "id", value: 100_000, events: &events)
        try store.deleteNode(NodeID(43), events: &events)
        #expect(try root(store) == before)
        #expect(store.nodes(label: "Person", propertyKey: "id", value: 43, limit: 2).items.isEmpty)
        #expect(store.nodes(label: "Person", propertyKey: "id", value: 100_000, limit: 2).items.map(\.id) == [NodeID(42)])
    }

    @Test("a one-node transaction on a large graph copies a path per structure it touches")
    func createNodeCopiesPaths() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        try store.createIndex(label: "Person", key: "id", unique: true, events: &events)
        for number in 0..<50_000 {
            try store.createNode(labels: ["Person"], properties: ["id": .int(Int64(number))], events: &events)
        }
        let before = store
        try store.createNode(labels: ["Person"], properties: ["id": 50_000], events: &events)
        // One path, or the tail run, or (when the run fills) both.
        #expect(store.nodeRecords.nodesNotShared(with: before.nodeRecords) <= store.nodeRecords.depth + 1)
        let oldLabel = try #require(before.labelIndex["Person"])
        let newLabel = try #require(store.labelIndex["Person"])
        #expect(newLabel.words.nodesNotShared(with: oldLabel.words) <= newLabel.words.depth + 1)
        #expect(before.nodeCount == 50_000 && store.nodeCount == 50_001)
        #expect(before.nodes(label: "Person", propertyKey: "id", value: 50_000, limit: 1).items.isEmpty)
        #expect(store.nodes(label: "Person", propertyKey: "id", value: 50_000, limit: 1).items.count == 1)
    }
}
