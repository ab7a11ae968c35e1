import Foundation
import GraphServerCore
import Testing

/// `assert` ops: a transaction states what it read, and fails with 409
/// (applying nothing) when that no longer holds.
@Suite("Optimistic concurrency")
struct OptimisticConcurrencyTests {
    static let headers = ["Host: 127.0.0.1", "Content-Type: application/json"]

    func tx(_ port: Int, _ ops: String) async throws -> LoopbackHTTP.Reply {
        try await LoopbackHTTP.call(port: port, "POST", "/tx", headers: Self.headers, body: #"{"ops": \#(ops)}"#)
    }

    func counter(_ port: Int, _ id: Int64) async throws -> Int64? {
        let reply = try await LoopbackHTTP.call(port: port, "GET", "/nodes/\(id)")
        return try JSONParser.parse(reply.body)["properties"]?["count"]?.int
    }

    @Test("two clients read, modify and write the same counter: one wins, the other gets 409 and applies nothing")
    func lostUpdateRace() async throws {
        try await LiveServer.run { port throws in
            let created = try await tx(port, #"[{"op": "createNode", "ref": "c", "properties": {"count": 0}}]"#)
            let id = try #require(try JSONParser.parse(created.body)["created"]?["c"]?.int)
            // Both clients read the counter before either writes: the lost-update interleaving.
            let readByA = try #require(try await counter(port, id))
            let readByB = try #require(try await counter(port, id))
            func increment(_ read: Int64, _ client: String) -> String {
                """
                [{"op": "assert", "node": \(id), "key": "count", "equals": \(read)},
                 {"op": "setNodeProperty", "node": \(id), "key": "count", "value": \(read + 1)},
                 {"op": "createNode", "labels": ["Writer\(client)"]}]
                """
            }
            async let a = tx(port, increment(readByA, "A"))
            async let b = tx(port, increment(readByB, "B"))
            let replies = try await [a, b]
            #expect(replies.map(\.status).sorted() == [200, 409], "\(replies.map(\.body))")
            let loser = try #require(replies.first { $0.status == 409 })
            #expect(loser.errorCode == "assertion_failed")
            #expect(loser.body.contains(#"ops[0] (assert): node \#(id) property \"count\" is 1, not 0"#))
            #expect(try await counter(port, id) == 1)
            // Nothing of the loser's transaction was applied: one writer node, the winner's.
            let stats = try JSONParser.parse(try await LoopbackHTTP.call(port: port, "GET", "/stats").body)
            #expect(stats["nodes"]?.int == 2)
            let winner = replies[0].status == 200 ? "WriterA" : "WriterB"
            #expect(stats["labels"] == .object(JSONObject([(winner, .integer(1))])))
            // Reading again and retrying succeeds.
            let again = try await tx(port, increment(try #require(try await counter(port, id)), "C"))
            #expect(again.status == 200)
            #expect(try await counter(port, id) == 2)
        }
    }

    @Test("assert checks nodes and relationships, absent properties, and sees the transaction's own earlier ops")
    func forms() async throws {
        try await TestServer.make().run { client in
            _ = try await client.tx(
                #"[{"op": "createNode", "ref": "a", "properties": {"v": "x"}}, {"op": "createRelationship", "ref": "r", "type": "T", "from": "$a", "to": "$a", "properties": {"w": [1, 2]}}]"#
            )
            for ops in [
                #"[{"op": "assert", "node": 0, "key": "v", "equals": "x"}]"#,
                #"[{"op": "assert", "node": 0, "key": "missing", "absent": true}]"#,
                #"[{"op": "assert", "relationship": 0, "key": "w", "equals": [1, 2]}]"#,
                #"[{"op": "setNodeProperty", "node": 0, "key": "v", "value": "y"}, {"op": "assert", "node": 0, "key": "v", "equals": "y"}, {"op": "setNodeProperty", "node": 0, "key": "v", "value": "x"}]"#,
                #"[{"op": "createNode", "ref": "n", "properties": {"k": 1}}, {"op": "assert", "node": "$n", "key": "k", "equals": 1}, {"op": "deleteNode", "node": "$n"}]"#,
            ] {
                let response = try await client.tx(ops)
                #expect(response.status == 200, "\(ops): \(response.text)")
            }
            for (ops, message) in [
                (#"[{"op": "assert", "node": 0, "key": "v", "equals": "y"}]"#, #"node 0 property "v" is "x", not "y""#),
                (#"[{"op": "assert", "node": 0, "key": "v", "equals": 1}]"#, #"is "x", not 1"#),
                (#"[{"op": "assert", "node": 0, "key": "v", "absent": true}]"#, #"is "x", not absent"#),
                (#"[{"op": "assert", "node": 0, "key": "nope", "equals": null}]"#, "is absent, not null"),
                (#"[{"op": "assert", "relationship": 0, "key": "w", "equals": [2, 1]}]"#, "relationship 0"),
                (#"[{"op": "assert", "node": 99, "key": "v", "equals": "x"}]"#, "node 99 does not exist"),
            ] {
                // After a write, which the failed assert must undo too.
                let touch = #"{"op": "setNodeProperty", "node": 0, "key": "touched", "value": true}"#
                let response = try await client.tx("[" + touch + ", " + ops.dropFirst())
                #expect(response.status == 409, "\(ops)")
                #expect(response.errorCode == "assertion_failed")
                #expect(response.errorMessage.contains(message), "\(response.errorMessage)")
                #expect(response.errorMessage.hasPrefix("ops[1] (assert)"))
            }
            #expect(try await client.get("/nodes/0").json["properties"] == ["v": "x"])
        }
    }

    @Test(
        "a malformed assert is a 400 naming the field",
        arguments: [
            (#"{"op": "assert", "key": "v", "equals": 1}"#, "exactly one of \"node\" and \"relationship\""),
            (#"{"op": "assert", "node": 0, "relationship": 0, "key": "v", "equals": 1}"#, "exactly one of \"node\" and \"relationship\""),
            (#"{"op": "assert", "node": 0, "key": "v"}"#, "exactly one of \"equals\""),
            (#"{"op": "assert", "node": 0, "key": "v", "equals": 1, "absent": true}"#, "exactly one of \"equals\""),
            (#"{"op": "assert", "node": 0, "key": "v", "absent": false}"#, "ops[0].absent (assert): must be true"),
            (#"{"op": "assert", "node": 0, "equals": 1}"#, "ops[0].key (assert): missing"),
            (#"{"op": "assert", "node": 0, "key": "v", "equals": 1, "value": 2}"#, "ops[0].value (assert): unknown field"),
        ])
    func malformed(op: String, message: String) async throws {
        try await TestServer.make().run { client in
            let response = try await client.tx("[\(op)]")
            #expect(response.status == 400)
            #expect(response.errorCode == "bad_request")
            #expect(response.errorMessage.contains(message), "\(response.errorMessage)")
        }
    }
}
