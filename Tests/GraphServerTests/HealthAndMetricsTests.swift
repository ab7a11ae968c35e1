import GraphDatabase
import GraphServerCore
import Testing
import WALTestSupport
import WriteAheadLog

@Suite("Health and metrics")
struct HealthAndMetricsTests {
    @Test("health is 200 while the log is healthy")
    func healthy() async throws {
        try await TestServer.make().run { client in
            let response = try await client.get("/health")
            #expect(response.status == 200)
            #expect(try response.json == ["status": "ok"])
        }
    }

    @Test("once an fsync fails, health is 503 (the reason in the admin status only) and writes are 503 until a restart")
    func poisoned() async throws {
        let directory = TemporaryDirectory()
        let fileSystem = FailingFileSystem()
        try await TestServer.make(storage: .dataDirectory(directory.path), fileSystem: fileSystem).run { client in
            #expect(try await client.tx(#"[{"op": "createNode"}]"#).status == 200)
            fileSystem.failSyncs.store(true, ordering: .releasing)
            let failed = try await client.tx(#"[{"op": "createNode"}]"#, query: "?durable=true")
            #expect(failed.status == 503)
            #expect(failed.errorMessage.contains("failed to write or fsync"))
            let health = try await client.get("/health")
            #expect(health.status == 503)
            #expect(try health.json["status"] == "poisoned")
            #expect(try health.json["error"]?["message"]?.string?.contains("injected fsync failure") == false)
            let refused = try await client.tx(#"[{"op": "createNode"}]"#)
            #expect(refused.status == 503)
            #expect(refused.errorCode == "poisoned")
            let status = try await client.post("/admin/wal/status").json
            #expect(status["poisoned"] == true)
            #expect(status["failure"]?.string?.contains("injected fsync failure") == true)
            // Reads go on.
            #expect(try await client.get("/nodes/0").status == 200)
        }
    }

    @Test("metrics are Prometheus text with the log's, recovery's and HTTP figures")
    func metrics() async throws {
        let directory = TemporaryDirectory()
        try await TestServer.make(storage: .dataDirectory(directory.path), syncMode: .always).run { client in
            _ = try await client.tx(#"[{"op": "createNode"}]"#)
            _ = try await client.get("/nodes/12345")
            let response = try await client.get("/metrics")
            #expect(response.status == 200)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = response.text
            for name in [
                "wal_commits_total", "wal_bytes_written_total", "wal_fsyncs_total", "wal_fsync_duration_seconds_bucket",
                "wal_commits_per_fsync_bucket", "wal_durable_lag_lsn", "graph_recovery_duration_seconds",
                "graph_recovery_events_replayed", "graph_nodes", "graph_wal_poisoned",
            ] {
                #expect(text.contains(name), "missing \(name)")
            }
            #expect(text.contains(#"http_requests_total{route="/tx",method="POST",status="200"}"#))
            #expect(text.contains(#"http_requests_total{route="/nodes/{id}",method="GET",status="404"}"#))
            #expect(text.contains(#"wal_commits_total{directory="\#(directory.path)/wal"}"#))
        }
    }
}
