import GraphStore
import Testing

/// A small graph: Ada -KNOWS-> Bob, Bob -KNOWS-> Ada, Ada -LIKES-> Ada (a self-loop).
struct SampleGraph {
    var store = GraphStore()
    var events: [MutationEvent] = []
    var ada: NodeID = 0
    var bob: NodeID = 0
    var carol: NodeID = 0
    var knows: RelationshipID = 0
    var knowsBack: RelationshipID = 0
    var loop: RelationshipID = 0

    init() throws {
        ada = try store.createNode(labels: ["Person"], properties: ["name": "Ada"], events: &events)
        bob = try store.createNode(labels: ["Person", "Admin"], properties: ["name": "Bob"], events: &events)
        carol = try store.createNode(events: &events)
        knows = try store.createRelationship(
            type: "KNOWS", from: ada, to: bob, properties: ["since": 1843], events: &events)
        knowsBack = try store.createRelationship(type: "KNOWS", from: bob, to: ada, events: &events)
        loop = try store.createRelationship(type: "LIKES", from: ada, to: ada, events: &events)
    }
}

@Suite("Mutations")
struct MutationTests {
    @Test("every mutation emits the event that describes it")
    func emitsEvents() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        let a = try store.createNode(labels: ["A"], properties: ["x": 1], events: &events)
        let b = try store.createNode(events: &events)
        let r = try store.createRelationship(type: "T", from: a, to: b, properties: ["w": 0.5], events: &events)
        try store.setNodeProperty(a, key: "y", value: "v", events: &events)
        try store.removeNodeProperty(a, key: "x", events: &events)
        try store.addNodeLabel(b, label: "B", events: &events)
        try store.removeNodeLabel(a, label: "A", events: &events)
        try store.setRelationshipProperty(r, key: "w", value: 2, events: &events)
        try store.removeRelationshipProperty(r, key: "w", events: &events)
        try store.deleteRelationship(r, events: &events)
        try store.deleteNode(b, events: &events)
        let c = try store.createNode(events: &events)
        let d = try store.createNode(events: &events)
        let s = try store.createRelationship(type: "T", from: c, to: d, events: &events)
        try store.detachDeleteNode(c, events: &events)
        store.clear(events: &events)

        #expect((a, b, r, c, d, s) == (0, 1, 0, 2, 3, 1))
        #expect(
            events == [
                .createNode(id: 0, labels: ["A"], properties: ["x": 1]),
                .createNode(id: 1, labels: [], properties: [:]),
                .createRelationship(id: 0, type: "T", source: 0, target: 1, properties: ["w": 0.5]),
                .setNodeProperty(node: 0, key: "y", value: "v"),
                .removeNodeProperty(node: 0, key: "x"),
                .addNodeLabel(node: 1, label: "B"),
                .removeNodeLabel(node: 0, label: "A"),
                .setRelationshipProperty(relationship: 0, key: "w", value: 2),
                .removeRelationshipProperty(relationship: 0, key: "w"),
                .deleteRelationship(relationship: 0),
                .deleteNode(node: 1),
                .createNode(id: 2, labels: [], properties: [:]),
                .createNode(id: 3, labels: [], properties: [:]),
                .createRelationship(id: 1, type: "T", source: 2, target: 3, properties: [:]),
                .detachDeleteNode(node: 2),
                .clear,
            ])
        #expect(store.isEmpty)
        #expect(store.nextNodeID == 4, "clear keeps the counters: ids are never reused")
        #expect(store.nextRelationshipID == 2)
        #expect(try store.createNode(events: &events) == 4)
    }

    @Test("a mutation that changes nothing emits nothing")
    func noOpsEmitNothing() throws {
        var graph = try SampleGraph()
        var events: [MutationEvent] = []
        #expect(try graph.store.setNodeProperty(graph.ada, key: "name", value: "Ada", events: &events) == "Ada")
        #expect(try graph.store.removeNodeProperty(graph.ada, key: "missing", events: &events) == nil)
        #expect(try graph.store.addNodeLabel(graph.ada, label: "Person", events: &events) == false)
        #expect(try graph.store.removeNodeLabel(graph.ada, label: "Missing", events: &events) == false)
        #expect(
            try graph.store.setRelationshipProperty(graph.knows, key: "since", value: 1843, events: &events) == 1843)
        #expect(try graph.store.removeRelationshipProperty(graph.knows, key: "missing", events: &events) == nil)
        var empty = GraphStore()
        empty.clear(events: &events)
        #expect(events.isEmpty)
        #expect(graph.store == (try SampleGraph()).store)
    }

    @Test("setting a property returns the value it replaced, and a different double bit pattern is a change")
    func setReturnsOldValue() throws {
        var graph = try SampleGraph()
        var events: [MutationEvent] = []
        #expect(try graph.store.setNodeProperty(graph.ada, key: "z", value: 0.0, events: &events) == nil)
        #expect(try graph.store.setNodeProperty(graph.ada, key: "z", value: -0.0, events: &events) == 0.0)
        #expect(events.count == 2)
        #expect(graph.store.node(graph.ada)?.properties["z"] == -0.0)
    }

    /// Each mutation pointed at a missing entity, and the code it must throw.
    static let missingTargets:
        [(String, GraphStoreError.Code, @Sendable (inout GraphStore, inout [MutationEvent]) throws -> Void)] = [
            ("setNodeProperty", .nodeNotFound, { try $0.setNodeProperty(99, key: "k", value: 1, events: &$1) }),
            ("removeNodeProperty", .nodeNotFound, { try $0.removeNodeProperty(99, key: "k", events: &$1) }),
            ("addNodeLabel", .nodeNotFound, { try $0.addNodeLabel(99, label: "L", events: &$1) }),
            ("removeNodeLabel", .nodeNotFound, { try $0.removeNodeLabel(99, label: "L", events: &$1) }),
            ("deleteNode", .nodeNotFound, { try $0.deleteNode(99, events: &$1) }),
            ("detachDeleteNode", .nodeNotFound, { try $0.detachDeleteNode(99, events: &$1) }),
            (
                "createRelationship from a missing node", .nodeNotFound,
                {
                    try $0.createRelationship(type: "T", from: 99, to: 0, events: &$1)
                }
            ),
            (
                "createRelationship to a missing node", .nodeNotFound,
                {
                    try $0.createRelationship(type: "T", from: 0, to: 99, events: &$1)
                }
            ),
            (
                "setRelationshipProperty", .relationshipNotFound,
                {
                    try $0.setRelationshipProperty(99, key: "k", value: 1, events: &$1)
                }
            ),
            (
                "removeRelationshipProperty", .relationshipNotFound,
                {
                    try $0.removeRelationshipProperty(99, key: "k", events: &$1)
                }
            ),
            ("deleteRelationship", .relationshipNotFound, { try $0.deleteRelationship(99, events: &$1) }),
            (
                "a value nested too deep", .invalidValue,
                {
                    try $0.setNodeProperty(0, key: "deep", value: SampleValues.nested(depth: 65), events: &$1)
                }
            ),
            (
                "a too-deep value at creation", .invalidValue,
                {
                    try $0.createNode(properties: ["deep": SampleValues.nested(depth: 65)], events: &$1)
                }
            ),
        ]

    @Test("a mutation on a missing entity throws a clear error and changes nothing", arguments: missingTargets.map(\.0))
    func missingEntity(name: String) throws {
        let (_, code, mutate) = try #require(Self.missingTargets.first { $0.0 == name })
        let graph = try SampleGraph()
        var store = graph.store
        var events: [MutationEvent] = []
        do {
            try mutate(&store, &events)
            Issue.record("\(name) should have thrown")
        } catch let error as GraphStoreError {
            #expect(error.code == code, "\(name)")
            #expect(error.description.hasPrefix("GraphStore \(code.rawValue): cannot ") || code == .invalidValue)
            if code != .invalidValue { #expect(error.message.contains("99"), "the message names the id") }
        }
        #expect(store == graph.store)
        #expect(events.isEmpty)
    }

    @Test("a node with relationships cannot be plainly deleted, and the refusal changes nothing")
    func deleteNodeWithRelationshipsIsRefused() throws {
        let graph = try SampleGraph()
        for node in [graph.ada, graph.bob] {
            var store = graph.store
            var events: [MutationEvent] = []
            let error = #expect(throws: GraphStoreError.self) { try store.deleteNode(node, events: &events) }
            #expect(error?.code == .nodeHasRelationships)
            #expect(error?.message.contains("detach-delete") == true)
            #expect(store == graph.store)
            #expect(events.isEmpty)
            var replayed = graph.store
            #expect(throws: GraphStoreError.self) { try replayed.apply(.deleteNode(node: node)) }
            #expect(replayed == graph.store)
        }
    }

    @Test("detach-delete removes the node and all its relationships, self-loops included")
    func detachDelete() throws {
        var graph = try SampleGraph()
        var events: [MutationEvent] = []
        let deleted = try graph.store.detachDeleteNode(graph.ada, events: &events)
        #expect(deleted.properties["name"] == "Ada")
        #expect(events == [.detachDeleteNode(node: graph.ada)])
        #expect(graph.store.node(graph.ada) == nil)
        #expect(graph.store.relationshipCount == 0)
        #expect(try graph.store.relationships(of: graph.bob).items.isEmpty)
        #expect(graph.store.stats.relationshipsPerType.isEmpty)
        #expect(graph.store.stats.nodesPerLabel == ["Person": 1, "Admin": 1])
        #expect(graph.store.consistencyProblems() == [])
    }

    @Test("detach-delete replays to the identical store")
    func detachDeleteReplays() throws {
        var graph = try SampleGraph()
        try graph.store.detachDeleteNode(graph.ada, events: &graph.events)
        try graph.store.detachDeleteNode(graph.carol, events: &graph.events)
        var replayed = GraphStore()
        for event in graph.events { try replayed.apply(event) }
        #expect(replayed == graph.store)
        #expect(replayed.dump() == graph.store.dump())
    }

    @Test("applying a creation moves the id counter past the event's id")
    func applyMovesCounters() throws {
        var store = GraphStore()
        try store.apply(.createNode(id: 7, labels: [], properties: [:]))
        #expect(store.nextNodeID == 8)
        try store.apply(.createNode(id: 3, labels: [], properties: [:]))
        #expect(store.nextNodeID == 8, "a lower id does not move the counter back")
        try store.apply(.createRelationship(id: 41, type: "T", source: 7, target: 3, properties: [:]))
        #expect(store.nextRelationshipID == 42)
        var events: [MutationEvent] = []
        #expect(try store.createNode(events: &events) == 8)
    }

    @Test("applying a creation under an id in use, or the last id, is refused")
    func applyRefusesBadIDs() throws {
        var store = GraphStore()
        try store.apply(.createNode(id: 1, labels: [], properties: [:]))
        try store.apply(.createRelationship(id: 1, type: "T", source: 1, target: 1, properties: [:]))
        let before = store
        let cases: [(MutationEvent, GraphStoreError.Code)] = [
            (.createNode(id: 1, labels: [], properties: [:]), .idInUse),
            (.createRelationship(id: 1, type: "T", source: 1, target: 1, properties: [:]), .idInUse),
            (.createNode(id: NodeID(UInt64.max), labels: [], properties: [:]), .idSpaceExhausted),
            (
                .createRelationship(id: RelationshipID(UInt64.max), type: "T", source: 1, target: 1, properties: [:]),
                .idSpaceExhausted
            ),
        ]
        for (event, code) in cases {
            let error = #expect(throws: GraphStoreError.self) { try store.apply(event) }
            #expect(error?.code == code)
            #expect(store == before)
        }
    }

    @Test("the last node id is refused once the counter reaches it")
    func idSpaceExhaustion() throws {
        var store = GraphStore()
        try store.apply(.createNode(id: NodeID(UInt64.max - 1), labels: [], properties: [:]))
        var events: [MutationEvent] = []
        let error = #expect(throws: GraphStoreError.self) { try store.createNode(events: &events) }
        #expect(error?.code == .idSpaceExhausted)
        #expect(events.isEmpty)
    }

    @Test("removing what is already absent applies as a no-op")
    func idempotentRemovals() throws {
        let graph = try SampleGraph()
        var store = graph.store
        try store.apply(.removeNodeProperty(node: graph.ada, key: "missing"))
        try store.apply(.removeNodeLabel(node: graph.ada, label: "Missing"))
        try store.apply(.removeRelationshipProperty(relationship: graph.knows, key: "missing"))
        try store.apply(.addNodeLabel(node: graph.ada, label: "Person"))
        #expect(store == graph.store)
    }

    @Test("errors read as one sentence naming the entity")
    func errorDescriptions() {
        let error = GraphStoreError(.nodeNotFound, "cannot delete node 7: it does not exist")
        #expect(error.description == "GraphStore nodeNotFound: cannot delete node 7: it does not exist")
        let located = GraphStoreError(.snapshotCorrupt, "the magic is wrong", offset: 0)
        #expect(located.description == "GraphStore snapshotCorrupt at snapshot offset 0: the magic is wrong")
    }
}
