import GraphServerCore
import Testing

@Suite("Read routes")
struct ReadRouteTests {
    /// Five people (ids 0-4, every other one an Admin) and a chain of KNOWS/LIKES.
    static func seed(_ client: Client) async throws {
        var ops: [String] = []
        for index in 0..<5 {
            let labels = index % 2 == 0 ? #"["Person", "Admin"]"# : #"["Person"]"#
            ops.append(#"{"op": "createNode", "ref": "n\#(index)", "labels": \#(labels), "properties": {"i": \#(index), "name": "p\#(index)"}}"#)
        }
        ops.append(#"{"op": "createRelationship", "type": "KNOWS", "from": "$n0", "to": "$n1"}"#)
        ops.append(#"{"op": "createRelationship", "type": "LIKES", "from": "$n0", "to": "$n2"}"#)
        ops.append(#"{"op": "createRelationship", "type": "KNOWS", "from": "$n3", "to": "$n0"}"#)
        let response = try await client.tx("[" + ops.joined(separator: ",") + "]")
        #expect(response.status == 200)
    }

    @Test("GET /nodes/{id} returns the node; a missing one is 404 and a bad id 400")
    func node() async throws {
        try await TestServer.make().run { client in
            try await Self.seed(client)
            #expect(try await client.get("/nodes/1").json == ["id": 1, "labels": ["Person"], "properties": ["i": 1, "name": "p1"]])
            let missing = try await client.get("/nodes/99")
            #expect(missing.status == 404)
            #expect(missing.errorCode == "not_found")
            #expect(try await client.get("/nodes/abc").errorCode == "bad_request")
            #expect(try await client.get("/nodes/-1").status == 400)
        }
    }

    @Test("GET /relationships/{id} returns type and ends; a missing one is 404")
    func relationship() async throws {
        try await TestServer.make().run { client in
            try await Self.seed(client)
            #expect(try await client.get("/relationships/2").json == ["id": 2, "type": "KNOWS", "from": 3, "to": 0, "properties": [:]])
            #expect(try await client.get("/relationships/3").status == 404)
            #expect(try await client.get("/relationships/x").status == 400)
        }
    }

    @Test("GET /nodes pages in id order and hands out the next cursor")
    func paging() async throws {
        try await TestServer.make().run { client in
            try await Self.seed(client)
            let first = try await client.get("/nodes?limit=2").json
            #expect(first["nodes"]?.array?.compactMap { $0["id"]?.int } == [0, 1])
            #expect(first["next"] == 1)
            let second = try await client.get("/nodes?limit=2&after=1").json
            #expect(second["nodes"]?.array?.compactMap { $0["id"]?.int } == [2, 3])
            let last = try await client.get("/nodes?limit=2&after=3").json
            #expect(last["nodes"]?.array?.compactMap { $0["id"]?.int } == [4])
            #expect(last["next"] == .null)
        }
    }

    @Test("GET /nodes filters by label and by property, with JSON or plain text values")
    func filters() async throws {
        try await TestServer.make().run { client in
            try await Self.seed(client)
            let admins = try await client.get("/nodes?label=Admin").json
            #expect(admins["nodes"]?.array?.compactMap { $0["id"]?.int } == [0, 2, 4])
            let byInteger = try await client.get("/nodes?key=i&value=3").json
            #expect(byInteger["nodes"]?.array?.compactMap { $0["id"]?.int } == [3])
            let byText = try await client.get("/nodes?key=name&value=p2").json
            #expect(byText["nodes"]?.array?.compactMap { $0["id"]?.int } == [2])
            let quoted = try await client.get("/nodes?key=name&value=%22p4%22").json
            #expect(quoted["nodes"]?.array?.compactMap { $0["id"]?.int } == [4])
            let both = try await client.get("/nodes?label=Person&key=i").json
            #expect(both["nodes"]?.array?.count == 5)
            let typeMatters = try await client.get("/nodes?key=i&value=3.0").json
            #expect(typeMatters["nodes"]?.array?.isEmpty == true)
        }
    }

    @Test(
        "GET /nodes refuses bad query parameters",
        arguments: ["/nodes?lable=Person", "/nodes?limit=0", "/nodes?limit=x", "/nodes?after=-3", "/nodes?value=1", "/nodes?label="])
    func badQueries(uri: String) async throws {
        try await TestServer.make().run { client in
            let response = try await client.get(uri)
            #expect(response.status == 400)
            #expect(response.errorCode == "bad_request")
        }
    }

    @Test("GET /nodes/{id}/relationships follows direction and type")
    func adjacency() async throws {
        try await TestServer.make().run { client in
            try await Self.seed(client)
            func ids(_ uri: String) async throws -> [Int64] {
                try await client.get(uri).json["relationships"]?.array?.compactMap { $0["id"]?.int } ?? [-1]
            }
            #expect(try await ids("/nodes/0/relationships") == [0, 1, 2])
            #expect(try await ids("/nodes/0/relationships?direction=out") == [0, 1])
            #expect(try await ids("/nodes/0/relationships?direction=in") == [2])
            #expect(try await ids("/nodes/0/relationships?direction=both&type=KNOWS") == [0, 2])
            #expect(try await ids("/nodes/0/relationships?limit=1&after=0") == [1])
            #expect(try await client.get("/nodes/0/relationships?limit=2").json["next"] == 1)
            #expect(try await client.get("/nodes/0/relationships?direction=sideways").status == 400)
            #expect(try await client.get("/nodes/77/relationships").status == 404)
        }
    }

    @Test("GET /stats counts nodes, relationships, labels and types")
    func stats() async throws {
        try await TestServer.make().run { client in
            try await Self.seed(client)
            #expect(
                try await client.get("/stats").json
                    == [
                        "nodes": 5, "relationships": 3, "labels": ["Admin": 3, "Person": 5], "types": ["KNOWS": 2, "LIKES": 1],
                        "indexes": [],
                    ])
        }
    }

    @Test("an unknown route is a JSON 404")
    func unknownRoute() async throws {
        try await TestServer.make().run { client in
            let response = try await client.get("/graph")
            #expect(response.status == 404)
            #expect(response.errorCode == "no_route")
        }
    }
}
