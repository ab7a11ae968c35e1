import GraphStore
import Testing

@Suite("Queries")
struct QueryTests {
    /// 100 nodes: every node has `n`; even ones are `Even`, multiples of 3 `Three`, and `mod` = n % 5.
    static func numbered() throws -> GraphStore {
        var store = GraphStore()
        var events: [MutationEvent] = []
        for n in 0..<100 {
            var labels: Set<String> = []
            if n.isMultiple(of: 2) { labels.insert("Even") }
            if n.isMultiple(of: 3) { labels.insert("Three") }
            try store.createNode(
                labels: labels, properties: ["n": .int(Int64(n)), "mod": .int(Int64(n % 5))], events: &events)
        }
        return store
    }

    /// Follows cursors until the last page, returning the ids in order and the page count.
    static func drain(pageSize: Int, _ query: (NodeID?) -> Page<Node>) -> (ids: [UInt64], pages: Int) {
        var ids: [UInt64] = []
        var cursor: NodeID? = nil
        var pages = 0
        repeat {
            let page = query(cursor)
            #expect(page.items.count <= pageSize)
            ids += page.items.map(\.id.rawValue)
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil && pages < 1000
        return (ids, pages)
    }

    @Test("paging through all nodes visits each once, in id order", arguments: [1, 7, 50, 99, 100, 101])
    func pageAll(pageSize: Int) throws {
        let store = try Self.numbered()
        let (ids, pages) = Self.drain(pageSize: pageSize) { store.nodes(limit: pageSize, after: $0) }
        #expect(ids == Array(0..<100))
        #expect(pages == (100 + pageSize - 1) / pageSize, "no empty last page: the cursor is nil exactly at the end")
    }

    @Test("paging by label uses the label's nodes in id order", arguments: [1, 3, 10, 1000])
    func pageByLabel(pageSize: Int) throws {
        let store = try Self.numbered()
        let (ids, _) = Self.drain(pageSize: pageSize) { store.nodes(label: "Three", limit: pageSize, after: $0) }
        #expect(ids == Array(stride(from: 0, to: 100, by: 3)))
        #expect(store.nodes(label: "Missing", limit: 10).items.isEmpty)
    }

    @Test("property filters match by key, by exact value, and combine with a label", arguments: [2, 5, 100])
    func pageByProperty(pageSize: Int) throws {
        var store = try Self.numbered()
        let (byValue, _) = Self.drain(pageSize: pageSize) {
            store.nodes(propertyKey: "mod", value: 2, limit: pageSize, after: $0)
        }
        #expect(byValue == Array(stride(from: 2, to: 100, by: 5)))
        let (evenAndValue, _) = Self.drain(pageSize: pageSize) {
            store.nodes(label: "Even", propertyKey: "mod", value: 2, limit: pageSize, after: $0)
        }
        #expect(evenAndValue == Array(stride(from: 2, to: 100, by: 10)))
        #expect(store.nodes(propertyKey: "mod", value: 2.0, limit: 100).items.isEmpty, "2.0 is not the int 2")
        var events: [MutationEvent] = []
        try store.removeNodeProperty(4, key: "n", events: &events)
        let (withKey, _) = Self.drain(pageSize: pageSize) { store.nodes(propertyKey: "n", limit: pageSize, after: $0) }
        #expect(withKey == Array(0..<100).filter { $0 != 4 })
    }

    @Test("pages stay consistent while nodes are deleted and created between them")
    func pagingUnderChange() throws {
        var store = try Self.numbered()
        var events: [MutationEvent] = []
        let first = store.nodes(limit: 10)
        try store.deleteNode(10, events: &events)
        try store.deleteNode(5, events: &events)
        let created = try store.createNode(events: &events)
        let (rest, _) = Self.drain(pageSize: 10) { store.nodes(limit: 10, after: $0 ?? first.nextCursor) }
        #expect(first.items.map(\.id.rawValue) == Array(0..<10))
        #expect(rest == Array(11..<100) + [created.rawValue])
    }

    @Test("a non-positive limit or a cursor at the top of the id space gives an empty page")
    func edgeCursors() throws {
        let store = try Self.numbered()
        #expect(store.nodes(limit: 0) == Page(items: [], nextCursor: nil))
        #expect(store.nodes(limit: -5).items.isEmpty)
        #expect(store.nodes(limit: 10, after: NodeID(UInt64.max)).items.isEmpty)
        #expect(store.nodes(label: "Even", limit: 10, after: NodeID(UInt64.max)).items.isEmpty)
        #expect(store.nodes(limit: 10, after: 98).items.map(\.id) == [99])
    }

    @Test("a node's relationships are listed by direction and type, a self-loop once")
    func adjacency() throws {
        let graph = try SampleGraph()
        let store = graph.store
        let ids = { (direction: Direction, type: String?) throws -> [RelationshipID] in
            try store.relationships(of: graph.ada, direction: direction, type: type).items.map(\.id)
        }
        #expect(try ids(.outgoing, nil) == [graph.knows, graph.loop])
        #expect(try ids(.incoming, nil) == [graph.knowsBack, graph.loop])
        #expect(try ids(.both, nil) == [graph.knows, graph.knowsBack, graph.loop])
        #expect(try ids(.both, "KNOWS") == [graph.knows, graph.knowsBack])
        #expect(try ids(.both, "NONE") == [])
        #expect(try store.relationships(of: graph.carol).items.isEmpty)
        let error = #expect(throws: GraphStoreError.self) { try store.relationships(of: 99) }
        #expect(error?.code == .nodeNotFound)
        let page = try store.relationships(of: graph.ada, limit: 2)
        #expect(page.items.map(\.id) == [graph.knows, graph.knowsBack])
        #expect(page.nextCursor == graph.knowsBack)
        let next = try store.relationships(of: graph.ada, limit: 2, after: page.nextCursor)
        #expect(next.items.map(\.id) == [graph.loop])
        #expect(next.nextCursor == nil)
        let relationship = try #require(store.relationship(graph.knows))
        #expect(relationship.source == graph.ada && relationship.target == graph.bob && relationship.type == "KNOWS")
        #expect(relationship.properties == ["since": 1843])
    }

    @Test("relationships page by id and filter by type")
    func relationshipPaging() throws {
        let graph = try SampleGraph()
        #expect(graph.store.relationships(limit: 2).items.map(\.id) == [0, 1])
        #expect(graph.store.relationships(limit: 2).nextCursor == 1)
        #expect(graph.store.relationships(limit: 2, after: 1).items.map(\.id) == [2])
        #expect(graph.store.relationships(type: "LIKES", limit: 10).items.map(\.id) == [graph.loop])
    }

    @Test("stats count nodes and relationships per label and type")
    func stats() throws {
        var graph = try SampleGraph()
        #expect(
            graph.store.stats
                == GraphStats(
                    nodeCount: 3, relationshipCount: 3, nodesPerLabel: ["Person": 2, "Admin": 1],
                    relationshipsPerType: ["KNOWS": 2, "LIKES": 1], nextNodeID: 3, nextRelationshipID: 3))
        try graph.store.removeNodeLabel(graph.bob, label: "Admin", events: &graph.events)
        try graph.store.deleteRelationship(graph.loop, events: &graph.events)
        #expect(graph.store.stats.nodesPerLabel == ["Person": 2])
        #expect(graph.store.stats.relationshipsPerType == ["KNOWS": 2])
        #expect(graph.store.labels == ["Person"])
    }

    @Test("the dump lists everything in id order, deterministically")
    func dump() throws {
        let graph = try SampleGraph()
        #expect(
            graph.store.dump() == """
                counters nextNode=3 nextRelationship=3
                node 0 ["Person"] {"name": "Ada"}
                node 1 ["Admin", "Person"] {"name": "Bob"}
                node 2 [] {}
                relationship 0 (0)-["KNOWS"]->(1) {"since": 1843}
                relationship 1 (1)-["KNOWS"]->(0) {}
                relationship 2 (0)-["LIKES"]->(0) {}

                """)
    }
}
