import Foundation
import GraphDatabase
import GraphServerCore
import Hummingbird
import Testing
import WALTestSupport

@Suite("Admin routes")
struct AdminRouteTests {
    @Test("wal/status describes the log")
    func status() async throws {
        let directory = TemporaryDirectory()
        try await TestServer.make(storage: .dataDirectory(directory.path), syncMode: .always).run { client in
            _ = try await client.tx(#"[{"op": "createNode"}]"#)
            let status = try await client.post("/admin/wal/status").json
            #expect(status["syncMode"] == "always")
            #expect(status["durableLsn"] == status["writtenLsn"])
            #expect(status["nextLsn"]?.int == (status["writtenLsn"]?.int ?? 0) + 1)
            #expect(status["segmentCount"] == 1)
            #expect(status["poisoned"] == false)
            #expect(status["failure"] == .null)
            #expect(status["directory"]?.string?.hasSuffix("/wal") == true)
        }
    }

    @Test("wal/status describes a group-sync interval too long to count in milliseconds, without trapping")
    func statusWithHugeInterval() async throws {
        let directory = TemporaryDirectory()
        try await TestServer.make(storage: .dataDirectory(directory.path), syncMode: .groupSync(interval: .seconds(Int64.max))).run { client in
            let response = try await client.post("/admin/wal/status")
            #expect(response.status == 200, "\(response.text)")
            #expect(try response.json["groupSyncIntervalMs"] == .integer(.max))
        }
    }

    @Test("wal/status reports a segment file it cannot size, naming it, instead of claiming there is no log")
    func statusNamesUnreadableSegment() async throws {
        let directory = TemporaryDirectory()
        try await TestServer.make(storage: .dataDirectory(directory.path), syncMode: .always).run { client in
            _ = try await client.tx(#"[{"op": "createNode"}]"#)
            // A segment name whose file cannot be opened: a dangling link.
            let broken = directory.path + "/wal/0000000099.wal"
            try FileManager.default.createSymbolicLink(atPath: broken, withDestinationPath: directory.path + "/missing")
            let response = try await client.post("/admin/wal/status")
            #expect(response.status >= 500)
            #expect(response.text.contains("0000000099.wal"), "\(response.text)")
            #expect(!response.text.contains("without a write-ahead log"))
            try FileManager.default.removeItem(atPath: broken)
        }
    }

    @Test("sync returns the durable LSN")
    func sync() async throws {
        let directory = TemporaryDirectory()
        try await TestServer.make(storage: .dataDirectory(directory.path), syncMode: .none).run { client in
            let commit = try await client.tx(#"[{"op": "createNode"}]"#).json
            let synced = try await client.post("/admin/sync").json
            #expect(synced["durableLsn"] == commit["lsn"])
        }
    }

    @Test("checkpoint writes a managed snapshot, and wal/truncate deletes only what the rules allow")
    func checkpointAndTruncate() async throws {
        let directory = TemporaryDirectory()
        try await TestServer.make(storage: .dataDirectory(directory.path)).run { client in
            _ = try await client.tx(#"[{"op": "createNode", "labels": ["A"]}]"#)
            let checkpoint = try await client.post("/admin/checkpoint").json
            let path = try #require(checkpoint["path"]?.string)
            #expect(path.hasPrefix(directory.path + "/snapshots/"))
            #expect(FileManager.default.fileExists(atPath: path))
            #expect(checkpoint["nodes"] == 1)
            let truncated = try await client.post("/admin/wal/truncate", #"{"fenceLsn": 1}"#).json
            #expect(truncated == ["fenceLsn": 1, "appliedFenceLsn": 1, "limitedBy": nil, "deletedSegments": []])
            // More commits after the checkpoint: the default fence (the
            // durable LSN) is lowered to the snapshot's LSN.
            _ = try await client.tx(#"[{"op": "createNode", "labels": ["B"]}]"#, query: "?durable=true")
            let byDefault = try await client.post("/admin/wal/truncate").json
            let snapshotLSN = try #require(checkpoint["walLsn"]?.int)
            #expect(try #require(byDefault["fenceLsn"]?.int) > snapshotLSN)
            #expect(byDefault["appliedFenceLsn"]?.int == snapshotLSN)
            #expect(byDefault["limitedBy"] == "snapshots")
            #expect(try await client.post("/admin/wal/truncate", #"{"fenceLsn": -4}"#).status == 400)
            #expect(try await client.post("/admin/wal/truncate", #"{"fence": 4}"#).errorCode == "bad_request")
        }
    }

    @Test("snapshot/save writes the named file in the snapshot folder and snapshot/load replaces the graph with it")
    func saveAndLoad() async throws {
        let directory = TemporaryDirectory()
        try await TestServer.make(storage: .dataDirectory(directory.child("data"))).run { client in
            _ = try await client.tx(#"[{"op": "createNode", "properties": {"v": 1}}]"#)
            let saved = try await client.post("/admin/snapshot/save", #"{"path": "saved.snap"}"#).json
            let path = try #require(saved["path"]?.string)
            #expect(path.hasSuffix("/data/snapshots/saved.snap"))
            #expect(FileManager.default.fileExists(atPath: path))
            _ = try await client.tx(#"[{"op": "createNode"}, {"op": "createNode"}]"#)
            #expect(try await client.get("/stats").json["nodes"] == 3)
            // The absolute path the save answered is inside the folder too.
            let loaded = try await client.post("/admin/snapshot/load", #"{"path": "\#(path)"}"#).json
            #expect(loaded["nodes"] == 1)
            #expect(try await client.get("/stats").json["nodes"] == 1)
        }
        // The loaded graph is the new base across a restart.
        try await TestServer.make(storage: .dataDirectory(directory.child("data"))).run { client in
            let stats = try await client.get("/stats").json
            #expect(stats["nodes"] == 1)
        }
    }

    @Test("snapshot/load of a missing file is 404 and of a damaged one 400")
    func loadFailures() async throws {
        let directory = TemporaryDirectory()
        try await TestServer.make(storage: .dataDirectory(directory.child("data"))).run { client in
            _ = try await client.tx(#"[{"op": "createNode"}]"#)
            _ = try await client.post("/admin/checkpoint")
            try Data("not a snapshot".utf8).write(to: URL(fileURLWithPath: directory.child("data/snapshots/garbage.snap")))
            let missing = try await client.post("/admin/snapshot/load", #"{"path": "nope.snap"}"#)
            #expect(missing.status == 404)
            let damaged = try await client.post("/admin/snapshot/load", #"{"path": "garbage.snap"}"#)
            #expect(damaged.status == 400)
            #expect(damaged.errorCode == "bad_snapshot")
            #expect(try await client.get("/stats").json["nodes"] == 1)
        }
    }

    @Test("snapshot/load without a path refuses with 409 to discard the commits since the newest snapshot")
    func loadWithoutPathRefuses() async throws {
        let directory = TemporaryDirectory()
        try await TestServer.make(storage: .dataDirectory(directory.child("data"))).run { client in
            _ = try await client.tx(#"[{"op": "createNode"}]"#)
            let checkpoint = try await client.post("/admin/checkpoint").json
            _ = try await client.tx(#"[{"op": "createNode"}, {"op": "createNode"}]"#)
            let refused = try await client.post("/admin/snapshot/load")
            #expect(refused.status == 409)
            #expect(refused.errorCode == "conflict")
            let name = (checkpoint["path"]?.string ?? "?").split(separator: "/").last.map(String.init) ?? "?"
            #expect(refused.errorMessage.contains("{\"path\": \"\(name)\"}"), "\(refused.text)")
            #expect(refused.errorMessage.contains("\"path\""), "says how to proceed: \(refused.text)")
            #expect(try await client.get("/stats").json["nodes"] == 3)
            // Once a checkpoint holds everything, loading the newest snapshot loses nothing.
            _ = try await client.post("/admin/checkpoint")
            #expect(try await client.post("/admin/snapshot/load").status == 200)
            #expect(try await client.get("/stats").json["nodes"] == 3)
        }
    }

    @Test("checkpoint without a snapshot location is a 400 that says how to give one")
    func checkpointWithoutLocation() async throws {
        let directory = TemporaryDirectory()
        let storage = StorageLayout.explicit(walDirectory: directory.child("wal"), snapshotPath: nil, restoreFrom: nil)
        try await TestServer.make(storage: storage).run { client in
            let response = try await client.post("/admin/checkpoint")
            #expect(response.status == 400)
            #expect(response.errorCode == "unavailable")
            #expect(response.errorMessage.contains("--snapshot-path"))
            // Nor is there a folder to confine a named file to.
            let named = try await client.post("/admin/checkpoint", #"{"path": "\#(directory.child("x.snap"))"}"#)
            #expect(named.status == 400)
            #expect(named.errorCode == "unavailable")
            #expect(named.errorMessage.contains("--snapshot-dir"))
        }
        try await TestServer.make(storage: storage) { $0.snapshotDirectory = directory.child("snaps") }.run { client in
            let named = try await client.post("/admin/checkpoint", #"{"path": "x.snap"}"#)
            #expect(named.status == 200, "\(named.text)")
            #expect(FileManager.default.fileExists(atPath: directory.child("snaps/x.snap")))
        }
    }

    @Test("log routes on an in-memory server are a 400 naming the reason")
    func inMemory() async throws {
        try await TestServer.make().run { client in
            for route in ["/admin/wal/status", "/admin/wal/truncate", "/admin/sync"] {
                let response = try await client.post(route)
                #expect(response.status == 400)
                #expect(response.errorCode == "unavailable")
            }
        }
    }

    @Test("with a token, admin routes need the bearer token and refuse others with 401")
    func token() async throws {
        let directory = TemporaryDirectory()
        try await TestServer.make(storage: .dataDirectory(directory.path), adminToken: "s3cret").run { client in
            let none = try await client.post("/admin/sync")
            #expect(none.status == 401)
            #expect(none.errorCode == "unauthorized")
            #expect(none.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            #expect(try await client.post("/admin/sync", headers: [.authorization: "Bearer s3cre"]).status == 401)
            #expect(try await client.post("/admin/sync", headers: [.authorization: "Bearer s3cretx"]).status == 401)
            #expect(try await client.post("/admin/sync", headers: [.authorization: "Basic s3cret"]).status == 401)
            #expect(try await client.post("/admin/sync", headers: [.authorization: "Bearer s3cret"]).status == 200)
            // The graph API itself stays open.
            #expect(try await client.get("/stats").status == 200)
        }
    }
}
