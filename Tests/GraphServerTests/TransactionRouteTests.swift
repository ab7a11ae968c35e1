import Foundation
import GraphDatabase
import GraphServerCore
import GraphStore
import Hummingbird
import Testing
import WALTestSupport
import WriteAheadLog

@Suite("POST /tx")
struct TransactionRouteTests {
    @Test("creates nodes and a relationship through refs and returns their ids")
    func createsWithRefs() async throws {
        try await TestServer.make().run { client in
            let response = try await client.tx(
                """
                [{"op": "createNode", "ref": "a", "labels": ["Person"], "properties": {"name": "Ada"}},
                 {"op": "createNode", "ref": "b", "labels": ["Person"]},
                 {"op": "createRelationship", "ref": "r", "type": "KNOWS", "from": "$a", "to": "$b", "properties": {"since": 1843}}]
                """)
            #expect(response.status == 200)
            let json = try response.json
            #expect(json["created"] == ["a": 0, "b": 1, "r": 0])
            #expect(json["durable"] == false)  // in memory: nothing is ever durable
            let relationship = try await client.get("/relationships/0").json
            #expect(relationship == ["id": 0, "type": "KNOWS", "from": 0, "to": 1, "properties": ["since": 1843]])
        }
    }

    @Test("createIndex, mergeNode and dropIndex: merge finds or creates, a unique index refuses duplicates")
    func indexesAndMerge() async throws {
        try await TestServer.make().run { client in
            let created = try await client.tx(
                """
                [{"op": "createIndex", "label": "User", "key": "email", "unique": true},
                 {"op": "mergeNode", "ref": "a", "label": "User", "key": "email", "value": "ada@x", "properties": {"name": "Ada"}},
                 {"op": "mergeNode", "ref": "b", "label": "User", "key": "email", "value": "ada@x"}]
                """)
            #expect(created.status == 200, "\(created.text)")
            #expect(try created.json["created"] == ["a": 0, "b": 0])
            #expect(try await client.get("/nodes/0").json == ["id": 0, "labels": ["User"], "properties": ["email": "ada@x", "name": "Ada"]])
            let duplicate = try await client.tx(#"[{"op": "createNode", "labels": ["User"], "properties": {"email": "ada@x"}}]"#)
            #expect(duplicate.status == 409)
            #expect(duplicate.text.contains("ops[0]") && duplicate.text.contains("unique"))
            let found = try await client.get("/nodes?label=User&key=email&value=ada@x").json
            #expect(found["nodes"] == [["id": 0, "labels": ["User"], "properties": ["email": "ada@x", "name": "Ada"]]])
            #expect(try await client.get("/stats").json["indexes"] == [["label": "User", "key": "email", "unique": true]])
            let badFlag = try await client.tx(#"[{"op": "createIndex", "label": "User", "key": "x", "unique": 1}]"#)
            #expect(badFlag.status == 400 && badFlag.text.contains("ops[0].unique"))
            let noIndex = try await client.tx(#"[{"op": "mergeNode", "label": "Tag", "key": "name", "value": "x"}]"#)
            #expect(noIndex.status == 409 && noIndex.text.contains("unique index"))
            #expect(try await client.tx(#"[{"op": "dropIndex", "label": "User", "key": "email"}]"#).status == 200)
            #expect(try await client.get("/stats").json["indexes"] == [])
            #expect(try await client.tx(#"[{"op": "createNode", "labels": ["User"], "properties": {"email": "ada@x"}}]"#).status == 200)
        }
    }

    @Test("every op kind runs, with numeric ids and refs")
    func everyOp() async throws {
        try await TestServer.make().run { client in
            _ = try await client.tx(#"[{"op": "createNode", "ref": "a"}, {"op": "createNode", "ref": "b"}]"#)
            let response = try await client.tx(
                """
                [{"op": "setNodeProperty", "node": 0, "key": "k", "value": [1, 2.5, "x", null, true, {"m": {"$bytes": "AQI="}}]},
                 {"op": "addLabel", "node": 0, "label": "L"},
                 {"op": "addLabel", "node": 0, "label": "M"},
                 {"op": "removeLabel", "node": 0, "label": "M"},
                 {"op": "setNodeProperty", "node": 0, "key": "gone", "value": 1},
                 {"op": "removeNodeProperty", "node": 0, "key": "gone"},
                 {"op": "createRelationship", "ref": "r", "type": "T", "from": 0, "to": 1},
                 {"op": "setRelationshipProperty", "relationship": "$r", "key": "w", "value": 0.5},
                 {"op": "setRelationshipProperty", "relationship": "$r", "key": "x", "value": 1},
                 {"op": "removeRelationshipProperty", "relationship": "$r", "key": "x"},
                 {"op": "createRelationship", "ref": "s", "type": "T", "from": 1, "to": 0},
                 {"op": "deleteRelationship", "relationship": "$s"},
                 {"op": "createNode", "ref": "c"},
                 {"op": "deleteNode", "node": "$c"}]
                """)
            #expect(response.status == 200, "\(response.text)")
            let node = try await client.get("/nodes/0").json
            #expect(node == ["id": 0, "labels": ["L"], "properties": ["k": [1, .double(2.5), "x", nil, true, ["m": ["$bytes": "AQI="]]]]])
            let relationship = try await client.get("/relationships/0").json
            #expect(relationship["properties"] == ["w": .double(0.5)])
            #expect(try await client.get("/relationships/1").status == 404)
            #expect(try await client.get("/nodes/2").status == 404)

            #expect(try await client.tx(#"[{"op": "detachDeleteNode", "node": 1}]"#).status == 200)
            #expect(
                try await client.get("/stats").json
                    == ["nodes": 1, "relationships": 0, "labels": ["L": 1], "types": [:], "indexes": []])
            #expect(try await client.tx(#"[{"op": "clear"}]"#).status == 200)
            #expect(try await client.get("/stats").json == ["nodes": 0, "relationships": 0, "labels": [:], "types": [:], "indexes": []])
        }
    }

    @Test("durable=true waits for an fsync and says so, whatever the sync mode")
    func durableQuery() async throws {
        let directory = TemporaryDirectory()
        try await TestServer.make(storage: .dataDirectory(directory.path), syncMode: .none).run { client in
            let plain = try await client.tx(#"[{"op": "createNode"}]"#).json
            #expect(plain["durable"] == false)
            #expect(plain["lsn"]?.int ?? 0 > 0)
            let durable = try await client.tx(#"[{"op": "createNode"}]"#, query: "?durable=true").json
            #expect(durable["durable"] == true)
            let status = try await client.post("/admin/wal/status").json
            #expect((status["durableLsn"]?.int ?? 0) >= (durable["lsn"]?.int ?? .max))
            #expect(try await client.tx("[]", query: "?durable=maybe").errorCode == "bad_request")
        }
    }

    @Test("under always every commit is durable")
    func alwaysIsDurable() async throws {
        let directory = TemporaryDirectory()
        try await TestServer.make(storage: .dataDirectory(directory.path), syncMode: .always).run { client in
            let json = try await client.tx(#"[{"op": "createNode"}]"#).json
            #expect(json["durable"] == true)
        }
    }

    @Test(
        "a transaction whose fsync fails is never visible: durable=true under group-sync, every commit under always",
        arguments: [SyncMode.groupSync(interval: .seconds(3600)), .always])
    func failedFsyncNeverVisible(syncMode: SyncMode) async throws {
        let directory = TemporaryDirectory()
        let fileSystem = FailingFileSystem()
        try await TestServer.make(storage: .dataDirectory(directory.path), syncMode: syncMode, fileSystem: fileSystem).run { client in
            #expect(try await client.tx(#"[{"op": "createNode", "labels": ["Kept"]}]"#, query: "?durable=true").status == 200)
            fileSystem.failSyncs.store(true, ordering: .releasing)
            let failed = try await client.tx(#"[{"op": "createNode", "labels": ["Lost"]}]"#, query: "?durable=true")
            #expect(failed.status == 503)
            #expect(failed.errorCode == "poisoned")
            #expect(try await client.get("/stats").json["nodes"] == 1)
            #expect(try await client.get("/nodes/1").status == 404)
        }
    }

    @Test("an empty ops list writes nothing and answers lsn 0")
    func emptyOps() async throws {
        let directory = TemporaryDirectory()
        try await TestServer.make(storage: .dataDirectory(directory.path)).run { client in
            let before = try await client.post("/admin/wal/status").json["nextLsn"]
            #expect(try await client.tx("[]").json == ["lsn": 0, "durable": true, "created": [:]])
            #expect(try await client.post("/admin/wal/status").json["nextLsn"] == before)
        }
    }

    @Test("durable=true on an in-memory server is refused: there is no log")
    func durableInMemory() async throws {
        try await TestServer.make().run { client in
            let response = try await client.tx(#"[{"op": "createNode"}]"#, query: "?durable=true")
            #expect(response.status == 400)
            #expect(response.errorCode == "unavailable")
        }
    }

    @Test(
        "a malformed request is a 400 naming the op index and field",
        arguments: [
            (#"{"ops": [}"#, "bad_json", "invalid JSON at byte"),
            (#"[1]"#, "bad_request", "must be an object"),
            (#"{}"#, "bad_request", "no \"ops\""),
            (#"{"ops": {}}"#, "bad_request", "\"ops\" must be an array"),
            (#"{"ops": [], "x": 1}"#, "bad_request", "unknown field \"x\""),
            (#"{"ops": [{"op": "createNode"}, 7]}"#, "bad_request", "ops[1]: an op must be an object"),
            (#"{"ops": [{"labels": []}]}"#, "bad_request", "ops[0]: missing \"op\""),
            (#"{"ops": [{"op": "explode"}]}"#, "bad_request", "ops[0].op: unknown op \"explode\""),
            (#"{"ops": [{"op": "createNode", "lables": []}]}"#, "bad_request", "ops[0].lables (createNode): unknown field"),
            (#"{"ops": [{"op": "createNode", "labels": "Person"}]}"#, "bad_request", "ops[0].labels (createNode): must be an array"),
            (#"{"ops": [{"op": "createNode", "labels": [""]}]}"#, "bad_request", "ops[0].labels[0] (createNode)"),
            (#"{"ops": [{"op": "createNode", "properties": []}]}"#, "bad_request", "ops[0].properties (createNode): must be an object"),
            (#"{"ops": [{"op": "createNode"}, {"op": "setNodeProperty", "node": 0, "key": "k"}]}"#, "bad_request", "ops[1].value (setNodeProperty): missing"),
            (#"{"ops": [{"op": "deleteNode", "node": -1}]}"#, "bad_request", "ops[0].node (deleteNode): must be a node id"),
            (#"{"ops": [{"op": "deleteNode", "node": "7"}]}"#, "bad_request", "ops[0].node (deleteNode): must be a node id"),
            (#"{"ops": [{"op": "deleteNode", "node": "$a"}]}"#, "bad_request", "ops[0].node (deleteNode): \"$a\" is not created by an earlier op"),
            (#"{"ops": [{"op": "createNode", "ref": "a"}, {"op": "deleteRelationship", "relationship": "$a"}]}"#, "bad_request", "ops[1].relationship (deleteRelationship): \"$a\" is not a relationship"),
            (#"{"ops": [{"op": "createNode", "ref": "a"}, {"op": "createNode", "ref": "a"}]}"#, "bad_request", "ops[1].ref (createNode): \"a\" is already defined"),
            (#"{"ops": [{"op": "createNode", "ref": "$a"}]}"#, "bad_request", "ops[0].ref (createNode)"),
            (#"{"ops": [{"op": "createRelationship", "type": "T", "from": 0}]}"#, "bad_request", "ops[0].to (createRelationship): missing"),
            (#"{"ops": [{"op": "createNode", "properties": {"n": 99999999999999999999}}]}"#, "bad_json", "does not fit in 64 signed bits"),
            (#"{"ops": [{"op": "createNode", "properties": {"b": {"$bytes": "%%"}}}]}"#, "invalid_value", "ops[0].properties.b.$bytes"),
        ])
    func malformed(body: String, code: String, fragment: String) async throws {
        try await TestServer.make().run { client in
            let response = try await client.post("/tx", body)
            #expect(response.status == 400)
            #expect(response.errorCode == code)
            #expect(response.errorMessage.contains(fragment), "\(response.errorMessage)")
            #expect(try await client.get("/stats").json["nodes"] == 0)
        }
    }

    @Test("a missing node is a 404 and a refused delete a 409, and neither changes anything in memory or on disk")
    func refusedTransactionsChangeNothing() async throws {
        let directory = TemporaryDirectory()
        let before = try await TestServer.make(storage: .dataDirectory(directory.path)).run { client -> String in
            _ = try await client.tx(
                #"[{"op": "createNode", "ref": "a"}, {"op": "createNode", "ref": "b"}, {"op": "createRelationship", "type": "T", "from": "$a", "to": "$b"}]"#)
            let stats = try await client.get("/stats").text

            let missing = try await client.tx(#"[{"op": "createNode", "ref": "c"}, {"op": "setNodeProperty", "node": 42, "key": "k", "value": 1}]"#)
            #expect(missing.status == 404)
            #expect(missing.errorCode == "not_found")
            #expect(missing.errorMessage.hasPrefix("ops[1] (setNodeProperty):"), "\(missing.errorMessage)")
            #expect(try await client.get("/relationships/9").status == 404)

            let conflict = try await client.tx(#"[{"op": "setNodeProperty", "node": 0, "key": "k", "value": 1}, {"op": "deleteNode", "node": 0}]"#)
            #expect(conflict.status == 409)
            #expect(conflict.errorCode == "conflict")
            #expect(conflict.errorMessage.hasPrefix("ops[1] (deleteNode):"))

            #expect(try await client.get("/stats").text == stats)
            #expect(try await client.get("/nodes/0").json["properties"] == [:])
            return stats
        }
        // Reopened from disk: the refused transactions left no trace there either.
        let reopened = try await TestServer.make(storage: .dataDirectory(directory.path)).run { client in
            try await client.get("/stats").text
        }
        #expect(reopened == before)
        let database = try TestServer.make(storage: .dataDirectory(directory.path)).database
        defer { try? database.close() }
        #expect(database.read { $0.node(NodeID(2)) } == nil)
        #expect(database.read { $0.stats.nextNodeID } == NodeID(2))
    }

    @Test("a body over the limit is a 413 and nothing is written")
    func bodyLimit() async throws {
        try await TestServer.make(maxBodyBytes: 1024).run { client in
            let big = String(repeating: "x", count: 2000)
            let response = try await client.tx(#"[{"op": "createNode", "properties": {"s": "\#(big)"}}]"#)
            #expect(response.status == 413)
            #expect(response.errorCode == "payload_too_large")
            #expect(try await client.get("/stats").json["nodes"] == 0)
        }
    }
}
