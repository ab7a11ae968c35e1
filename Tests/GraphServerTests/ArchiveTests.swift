import Foundation
import GraphDatabase
@testable import GraphServerCore
import GraphStore
import Testing
import WALArchive
import WALTestSupport
import WriteAheadLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `--archive`: the server ships its log while it runs, keeps what is not
/// shipped yet, and says how far behind the archive is.
@Suite("Continuous archive")
struct ArchiveTests {
    static let json = ["Host: 127.0.0.1", "Content-Type: application/json"]

    /// Commits `count` transactions of one node each (with `blob` bytes of
    /// text, to fill segments) and returns their commit LSNs.
    static func commit(port: Int, count: Int, blob: Int = 16) async throws -> [LSN] {
        let text = String(repeating: "x", count: blob)
        var lsns: [LSN] = []
        for number in 0..<count {
            let body = #"{"ops": [{"op": "createNode", "labels": ["Archived"], "properties": {"n": \#(number), "blob": "\#(text)"}}]}"#
            let reply = try await LoopbackHTTP.call(port: port, "POST", "/tx", headers: json, body: body)
            #expect(reply.status == 200, "\(reply.body)")
            let lsn = try JSONParser.parse(reply.body)["lsn"]?.int
            lsns.append(LSN(UInt64(try #require(lsn))))
        }
        return lsns
    }

    /// Waits for the behaviour, with a bound only so that a broken server
    /// fails the test instead of hanging it.
    ///
    /// The bound counts this task's own polls (every 20 ms), `timeout`'s
    /// worth, not the wall clock: in a full parallel run, tests that block
    /// the cooperative pool's threads (waiting on child processes) can keep this task
    /// from running for many seconds, which is no fault of the server. A
    /// wall-clock cap twenty times as long still ends a hung test.
    static func waitUntil(
        _ what: String, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: () async throws -> Bool
    ) async throws {
        let interval = Duration.milliseconds(20)
        let polls = Int(timeout / interval)
        let cap = ContinuousClock.now + timeout * 20
        for _ in 0..<polls where ContinuousClock.now < cap {
            if try await condition() { return }
            try await Task.sleep(for: interval)
        }
        Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
    }

    /// The last LSN the archive's chain reaches, as `verify` checks it; none while it cannot be read.
    static func archivedLSN(_ archive: String) async -> LSN {
        (try? await ArchiveRestore.verify(store: FileArchiveStore(directory: archive)).lastLSN) ?? .none
    }

    static func health(_ port: Int) async throws -> (status: Int, json: JSONValue) {
        let reply = try await LoopbackHTTP.call(port: port, "GET", "/health")
        return (reply.status, try JSONParser.parse(reply.body))
    }

    /// The value of an unlabelled metric in a Prometheus exposition.
    static func metric(_ name: String, port: Int) async throws -> Double? {
        let text = try await LoopbackHTTP.call(port: port, "GET", "/metrics").body
        let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    /// The segments of a log directory, as a read-only walk sees them.
    static func segments(_ wal: String) throws -> [SegmentSummary] {
        try WAL<MutationEvent>.replay(directory: wal) { _ in }.segments
    }

    /// Restores the archive's log into a fresh data directory and checks
    /// that it replays exactly `commits` and recovers the graph of `data`.
    static func expectRestoreMatches(_ archive: String, data: String, commits: [LSN], in directory: TemporaryDirectory) async throws {
        let restored = directory.child("restored")
        let report = try await ArchiveRestore.restore(from: FileArchiveStore(directory: archive), into: restored + "/wal")
        let last = try #require(commits.last)
        #expect(report.restoredLSN >= last)
        var replayed: [LSN] = []
        _ = try WAL<MutationEvent>.replay(directory: restored + "/wal") { replayed.append($0.commitLSN) }
        #expect(replayed == commits, "the restored log replays exactly the committed transactions")
        let (original, _) = try GraphDatabase.open(GraphDatabaseConfiguration(storage: .dataDirectory(data)))
        let (copy, _) = try GraphDatabase.open(GraphDatabaseConfiguration(storage: .dataDirectory(restored)))
        #expect(copy.snapshot.dump() == original.snapshot.dump())
        #expect(copy.snapshot.nodeCount == commits.count)
        try original.close()
        try copy.close()
    }

    @Test("a server with --archive ships its commits: the archive reaches them, restores them, and metrics and /health say so")
    func ships() async throws {
        let directory = TemporaryDirectory()
        let data = directory.child("data")
        let archive = directory.child("archive")
        let server = try ServerProcess([
            "--data-dir", data, "--port", "0", "--archive", "file://" + archive, "--archive-interval", "50ms",
        ])
        let commits = try await Self.commit(port: server.port, count: 20)
        let last = try #require(commits.last)
        try await Self.waitUntil("the archive reaches LSN \(last)") { await Self.archivedLSN(archive) >= last }
        try await Self.waitUntil("the server sees it archived") {
            try await Self.metric("graph_archive_archived_lsn", port: server.port) ?? 0 >= Double(last.rawValue)
        }

        #expect(try await Self.metric("graph_archive_objects_shipped_total", port: server.port) ?? 0 > 0)
        #expect(try await Self.metric("graph_archive_bytes_shipped_total", port: server.port) ?? 0 > 0)
        #expect(try await Self.metric("graph_archive_errors_total", port: server.port) == 0)
        #expect(try await Self.metric("graph_archive_last_round_failed", port: server.port) == 0)
        #expect(try await Self.metric("graph_archive_lag_lsn", port: server.port) == 0)
        #expect(try await Self.metric("graph_archive_lag_seconds", port: server.port) == 0)

        let health = try await Self.health(server.port)
        #expect(health.status == 200)
        #expect(health.json["status"] == "ok")
        #expect(health.json["archive"]?["status"] == "ok")
        #expect(health.json["archive"]?["archivedLsn"]?.int == Int64(last.rawValue))
        #expect(health.json["archive"]?["lastError"] == .null)

        #expect(server.stop(SIGTERM) == 0)
        #expect(server.stderr.contains("archiving the log"))
        try await Self.expectRestoreMatches(archive, data: data, commits: commits, in: directory)
    }

    @Test("shutdown ships what the last requests committed in one final round")
    func finalRound() async throws {
        let directory = TemporaryDirectory()
        let data = directory.child("data")
        let archive = directory.child("archive")
        // Rounds an hour apart: only the one at start and the final one run.
        let server = try ServerProcess([
            "--data-dir", data, "--port", "0", "--archive", "file://" + archive, "--archive-interval", "1h",
            "--archive-max-lag", "2h",
        ])
        try await Self.waitUntil("the first round creates the archive") { FileManager.default.fileExists(atPath: archive + "/head") }
        try await Task.sleep(for: .milliseconds(300))
        let commits = try await Self.commit(port: server.port, count: 3)
        #expect(await Self.archivedLSN(archive) < commits[0], "the first round already shipped the commits")
        #expect(server.stop(SIGTERM) == 0)
        #expect(await Self.archivedLSN(archive) == commits.last)
        #expect(server.stderr.contains("final archive round done"), "\(server.stderr)")
    }

    @Test(
        "an unreachable archive: writes go on, /health degrades, errors are counted and logged once per kind, checkpoints keep what is not archived; fixed, it catches up with nothing lost"
    )
    func archiveDown() async throws {
        let directory = TemporaryDirectory()
        let data = directory.child("data")
        // The archive lives one level down, so that taking its parent away
        // makes it unreachable without the store being able to recreate it.
        let parent = directory.child("archive-parent")
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let archive = parent + "/archive"
        let server = try ServerProcess([
            "--data-dir", data, "--port", "0", "--archive", "file://" + archive, "--archive-interval", "50ms",
            "--archive-max-lag", "1s", "--segment-target-bytes", "64KiB",
        ])
        var commits = try await Self.commit(port: server.port, count: 5)
        let archived = try #require(commits.last)
        try await Self.waitUntil("the server sees LSN \(archived) archived") {
            try await Self.health(server.port).json["archive"]?["archivedLsn"]?.int == Int64(archived.rawValue)
        }

        // The archive becomes unreachable: a file takes its parent's name
        // (chmod would not stop a test running as root).
        try FileManager.default.moveItem(atPath: parent, toPath: directory.child("archive-aside"))
        #expect(FileManager.default.createFile(atPath: parent, contents: Data("not a directory".utf8)))

        // Writes go on, over several segments.
        commits += try await Self.commit(port: server.port, count: 200, blob: 1024)
        try await Self.waitUntil("/health says degraded") {
            try await Self.health(server.port).json["status"] == "degraded"
        }
        let health = try await Self.health(server.port)
        #expect(health.status == 200, "degraded is not down: the server still serves")
        #expect(health.json["archive"]?["status"] == "failing")
        #expect(health.json["archive"]?["lastRoundFailed"] == true)
        #expect(health.json["archive"]?["archivedLsn"]?.int == Int64(archived.rawValue))
        #expect(try await Self.metric("graph_archive_last_round_failed", port: server.port) == 1)
        #expect(try await Self.metric("graph_archive_archived_lsn", port: server.port) == Double(archived.rawValue))
        #expect(try await Self.metric("graph_archive_lag_seconds", port: server.port) ?? 0 > 1)
        let lagLSNs = try await Self.metric("graph_archive_lag_lsn", port: server.port) ?? 0
        #expect(lagLSNs >= Double(commits.last?.rawValue ?? 0) - Double(archived.rawValue))

        // A checkpoint now deletes no segment holding records the archive lacks.
        let checkpoint = try await LoopbackHTTP.call(port: server.port, "POST", "/admin/checkpoint", headers: Self.json)
        #expect(checkpoint.status == 200, "\(checkpoint.body)")
        let result = try JSONParser.parse(checkpoint.body)
        #expect(result["truncationLimitedBy"] == "archive")
        #expect(result["truncationFenceLsn"]?.int == Int64(archived.rawValue))
        let truncation = try await LoopbackHTTP.call(port: server.port, "POST", "/admin/wal/truncate", headers: Self.json)
        #expect(try JSONParser.parse(truncation.body)["limitedBy"] == "archive")
        let segments = try Self.segments(data + "/wal")
        #expect(segments.count > 2, "the commits span several segments")
        #expect(try #require(segments.first).firstLSN <= LSN(archived.rawValue + 1), "a segment the archive lacks was deleted")

        // Failing rounds are counted each time, and logged once per kind of failure.
        let errors = try #require(try await Self.metric("graph_archive_errors_total", port: server.port))
        let logged = server.stderr.components(separatedBy: "archive round failed").count - 1
        #expect(logged >= 1 && logged <= 3, "\(server.stderr)")
        #expect(errors > Double(logged) + 5, "\(errors) failed rounds, \(logged) log lines")

        // Fixed: the archive catches up with everything committed meanwhile.
        // (While the parent is missing, the store cannot create the archive
        // anew: it makes the archive's own directory only, never its parents.)
        try FileManager.default.removeItem(atPath: parent)
        try FileManager.default.moveItem(atPath: directory.child("archive-aside"), toPath: parent)
        let last = try #require(commits.last)
        try await Self.waitUntil("the archive catches up to LSN \(last)") { await Self.archivedLSN(archive) >= last }
        try await Self.waitUntil("/health is ok again") { try await Self.health(server.port).json["status"] == "ok" }
        #expect(try await Self.metric("graph_archive_last_round_failed", port: server.port) == 0)
        #expect(server.stop(SIGTERM) == 0)
        #expect(server.stderr.contains("archive rounds succeed again"))
        try await Self.expectRestoreMatches(archive, data: data, commits: commits, in: directory)
    }

    @Test("a bad --archive URL refuses to start, naming the flag")
    func badURL() throws {
        let directory = TemporaryDirectory()
        for (url, problem) in [
            ("ftp://example.org/archive", "an archive URL starts with s3:// or file://"),
            ("file://relative/path", "a file archive URL names an absolute path"),
            ("s3://Bad_Bucket/prefix", "an S3 bucket name has 3 to 63"),
        ] {
            let server = try ServerProcess(["--data-dir", directory.child("data"), "--port", "0", "--archive", url], waitForListening: false)
            #expect(server.waitForExit() == 64)
            let lines = server.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(server.stderr)")
            #expect(lines.first?.hasPrefix("graph-server: --archive: invalid value \"\(url)\"") == true, "\(server.stderr)")
            #expect(lines.first?.contains(problem) == true, "\(server.stderr)")
        }
    }

    @Test("the archive flags: durations with units, and refusals that name the flag")
    func flags() throws {
        func resolve(_ values: [ServerSetting: String], switches: Set<ServerSetting> = []) throws(GraphServerError) -> ServerConfiguration {
            try ServerConfiguration.resolve(ServerFlags(values: values, switches: switches), environment: [:])
        }
        let defaults = try #require(try resolve([.archive: "file:///srv/archive"]).archive)
        #expect(defaults.location.kind == .directory(path: "/srv/archive"))
        #expect(defaults.interval == .seconds(1))
        #expect(defaults.maxLag == .seconds(30))
        let given = try #require(try resolve([.archive: "s3://bucket/db", .archiveInterval: "250ms", .archiveMaxLag: "2m"]).archive)
        #expect(given.location.prefix == "db")
        #expect(given.interval == .milliseconds(250))
        #expect(given.maxLag == .seconds(120))
        #expect(try resolve([.archive: "file:///a", .archiveMaxLag: "45"]).archive?.maxLag == .seconds(45))

        let refusals: [([ServerSetting: String], Set<ServerSetting>, String)] = [
            ([.archiveInterval: "1s"], [], "--archive-interval needs --archive"),
            ([.archive: "file:///a"], [.inMemory], "--archive cannot be combined with --in-memory"),
            ([.archive: "file:///a", .snapshotPath: "/s.snap"], [], "pass --wal-dir too"),
            ([.archive: "file:///a", .archiveInterval: "soon"], [], "--archive-interval: invalid value \"soon\""),
            ([.archive: "file:///a", .archiveInterval: "0ms"], [], "must be from 10ms to 3600s"),
            ([.archive: "file:///a", .archiveInterval: "10s", .archiveMaxLag: "5s"], [], "--archive-max-lag (5s) must be at least --archive-interval (10s)"),
        ]
        for (values, switches, message) in refusals {
            let error = #expect(throws: GraphServerError.self) { try resolve(values, switches: switches) }
            #expect(error?.message.contains(message) == true, "\(String(describing: error?.message))")
        }
    }

    @Test("/health shows the archive's state to anyone, and its figures, URL and error to admin callers only")
    func healthVisibility() async throws {
        let directory = TemporaryDirectory()
        // Unreachable at first: its parent is a file.
        #expect(FileManager.default.createFile(atPath: directory.child("parent"), contents: Data("x".utf8)))
        let location = try ArchiveLocation(parsing: "file://" + directory.child("parent/archive"))
        let test = try TestServer.make(storage: .dataDirectory(directory.child("data")), adminToken: "admin-secret") {
            $0.archive = ArchiveSettings(location: location, interval: .milliseconds(1), maxLag: .milliseconds(1))
        }
        let archive = try #require(test.server.archive)
        try await test.run { client in
            let lsn = try await client.tx(#"[{"op": "createNode"}]"#).json["lsn"]?.int
            #expect(await archive.round() == false)
            try await Task.sleep(for: .milliseconds(20))

            let anonymous = try await client.get("/health")
            #expect(anonymous.status == 200)
            #expect(try anonymous.json == ["status": "degraded", "archive": ["status": "failing"]])
            #expect(!anonymous.text.contains(directory.path))
            let wrongToken = try await client.request(.get, "/health", headers: [.authorization: "Bearer not-it"])
            #expect(try wrongToken.json == anonymous.json)

            let admin = try await client.request(.get, "/health", headers: [.authorization: "Bearer admin-secret"]).json
            #expect(admin["status"] == "degraded")
            #expect(admin["archive"]?["url"]?.string == location.url)
            #expect(admin["archive"]?["lastRoundFailed"] == true)
            #expect(admin["archive"]?["errors"]?.int == 1)
            #expect(admin["archive"]?["lastError"]?.string?.contains(directory.path) == true, "\(admin)")

            try FileManager.default.removeItem(atPath: directory.child("parent"))
            try FileManager.default.createDirectory(atPath: directory.child("parent"), withIntermediateDirectories: false)
            #expect(await archive.round())
            #expect(try await client.get("/health").json == ["status": "ok", "archive": ["status": "ok"]])
            let healed = try await client.request(.get, "/health", headers: [.authorization: "Bearer admin-secret"]).json
            #expect(healed["archive"]?["archivedLsn"]?.int == lsn)
            #expect(healed["archive"]?["lagLsns"]?.int == 0)
            #expect(healed["archive"]?["lastError"] == .null)
        }
    }
}
