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

/// `--replica-of`: a server that follows another's archive, serves its
/// graph read-only, and becomes the primary when promoted.
@Suite("Read replicas")
struct ReplicaTests {
    /// The nodes a server serves, as (id, `n`) pairs in id order.
    static func nodes(port: Int) async throws -> [[Int64]] {
        var result: [[Int64]] = []
        var after: Int64? = nil
        repeat {
            let path = "/nodes?limit=1000" + (after.map { "&after=\($0)" } ?? "")
            let reply = try await LoopbackHTTP.call(port: port, "GET", path)
            guard reply.status == 200 else { throw LoopbackHTTP.Failure(description: "GET \(path): \(reply.status) \(reply.body)") }
            let page = try JSONParser.parse(reply.body)
            for node in page["nodes"]?.array ?? [] {
                result.append([node["id"]?.int ?? -1, node["properties"]?["n"]?.int ?? -1])
            }
            after = page["next"]?.int
        } while after != nil
        return result
    }

    /// Waits until the replica serves exactly what the primary does.
    static func waitForSameGraph(replica: Int, primary: Int, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let expected = try await nodes(port: primary)
        try await ArchiveTests.waitUntil(what, sourceLocation: sourceLocation) {
            (try? await nodes(port: replica)) == expected
        }
    }

    static func post(_ port: Int, _ path: String, _ body: String = "{}") async throws -> (status: Int, json: JSONValue) {
        let reply = try await LoopbackHTTP.call(port: port, "POST", path, headers: ArchiveTests.json, body: body)
        return (reply.status, try JSONParser.parse(reply.body))
    }

    static func primary(_ data: String, archive: String, holder: String = "primary-a", extra: [String] = [], environment: [String: String]? = nil) throws -> ServerProcess {
        try ServerProcess(
            ["--data-dir", data, "--port", "0", "--archive", archive, "--archive-interval", "30ms", "--archive-holder", holder] + extra,
            environment: environment)
    }

    static func replica(_ data: String, of archive: String, extra: [String] = [], environment: [String: String]? = nil) throws -> ServerProcess {
        try ServerProcess(["--data-dir", data, "--port", "0", "--replica-of", archive, "--archive-interval", "30ms"] + extra, environment: environment)
    }

    @Test("a replica restores the newest snapshot, follows every commit, serves the reads, refuses writes and admin routes naming the primary, and reports its lag")
    func follows() async throws {
        let directory = TemporaryDirectory()
        let archive = "file://" + directory.child("archive")
        let primary = try Self.primary(directory.child("p"), archive: archive, extra: ["--checkpoint-every-commits", "10"])
        let first = try await ArchiveTests.commit(port: primary.port, count: 25)
        try await ArchiveTests.waitUntil("the primary archives a snapshot") {
            try await ArchiveTests.metric("graph_archive_archived_lsn", port: primary.port) ?? 0 >= Double(try #require(first.last).rawValue)
                && !(FileManager.default.contentsOfDirectory(atPath: directory.child("archive/snapshots"))).isEmpty
        }
        let replica = try Self.replica(directory.child("r"), of: archive)
        try await Self.waitForSameGraph(replica: replica.port, primary: primary.port, "the replica serves the primary's graph")
        let health = try await ArchiveTests.health(replica.port)
        #expect(health.status == 200)
        #expect(health.json["replica"]?["role"] == "following")
        #expect(health.json["replica"]?["snapshotLsn"]?.int ?? 0 > 0, "it started from an archived snapshot: \(health.json)")
        #expect(health.json["replica"]?["primary"] == "primary-a")

        // Every later commit reaches it, within the lag the interval allows.
        for round in 0..<3 {
            let more = try await ArchiveTests.commit(port: primary.port, count: 5)
            let last = try #require(more.last)
            try await ArchiveTests.waitUntil("the replica applies LSN \(last) (round \(round))") {
                try await ArchiveTests.metric("graph_replica_applied_lsn", port: replica.port) ?? 0 >= Double(last.rawValue)
            }
            #expect(try await Self.nodes(port: replica.port) == Self.nodes(port: primary.port))
        }
        #expect(try await ArchiveTests.metric("graph_replica_lag_lsn", port: replica.port) == 0)
        #expect(try await ArchiveTests.metric("graph_replica_following", port: replica.port) == 1)

        let write = try await Self.post(replica.port, "/tx", #"{"ops": [{"op": "createNode", "labels": ["X"]}]}"#)
        #expect(write.status == 421)
        #expect(write.json["error"]?["code"] == "read_only_replica")
        #expect(write.json["error"]?["message"]?.string?.contains("primary-a") == true, "\(write.json)")
        let checkpoint = try await Self.post(replica.port, "/admin/checkpoint")
        #expect(checkpoint.status == 421)
        let notReplica = try await Self.post(primary.port, "/admin/promote")
        #expect(notReplica.status == 409)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.child("r")).allSatisfy { $0 == "wal" || $0 == "snapshots" })
        #expect(try Self.segmentFiles(directory.child("r/wal")).isEmpty, "a following replica writes no log")
        #expect(replica.stop(SIGTERM) == 0)
        #expect(primary.stop(SIGTERM) == 0)
    }

    @Test("a snapshot load on the primary replaces the replica's graph with the loaded one, and the commits after it follow")
    func followsSnapshotLoad() async throws {
        let directory = TemporaryDirectory()
        let archive = "file://" + directory.child("archive")
        let primary = try Self.primary(directory.child("p"), archive: archive)
        let replica = try Self.replica(directory.child("r"), of: archive)
        _ = try await ArchiveTests.commit(port: primary.port, count: 5)
        #expect(try await Self.post(primary.port, "/admin/snapshot/save", #"{"path": "five.snap"}"#).status == 200)
        _ = try await ArchiveTests.commit(port: primary.port, count: 7)
        try await Self.waitForSameGraph(replica: replica.port, primary: primary.port, "the replica has twelve nodes")
        let loaded = try await Self.post(primary.port, "/admin/snapshot/load", #"{"path": "five.snap"}"#)
        #expect(loaded.status == 200, "\(loaded.json)")
        _ = try await ArchiveTests.commit(port: primary.port, count: 2)
        #expect(try await Self.nodes(port: primary.port).count == 7)
        try await Self.waitForSameGraph(replica: replica.port, primary: primary.port, "the replica follows the load")
        #expect(replica.stop(SIGTERM) == 0)
        #expect(primary.stop(SIGTERM) == 0)
    }

    @Test("promotion takes the lease (the old primary is fenced and refuses writes), continues the log at the archived LSN + 1, archives it, and survives kill -9 and a restart as a primary")
    func promotion() async throws {
        let directory = TemporaryDirectory()
        let archiveDirectory = directory.child("archive")
        let archive = "file://" + archiveDirectory
        let primary = try Self.primary(directory.child("p"), archive: archive, extra: ["--checkpoint-every-commits", "8"])
        let replica = try Self.replica(directory.child("r"), of: archive)
        let before = try await ArchiveTests.commit(port: primary.port, count: 20)
        try await Self.waitForSameGraph(replica: replica.port, primary: primary.port, "the replica catches up")

        let promoted = try await Self.post(replica.port, "/admin/promote")
        #expect(promoted.status == 200, "\(promoted.json)")
        let archivedLSN = try #require(promoted.json["archivedLsn"]?.int)
        #expect(archivedLSN >= Int64(try #require(before.last).rawValue))
        #expect(promoted.json["previousPrimary"] == "primary-a")
        #expect(promoted.json["nodes"] == 20)
        for field in ["promoted", "archive", "epoch", "archivedLsn", "previousPrimary", "nodes", "relationships"] {
            #expect(promoted.json[field] != nil, "the documented field \(field) is missing: \(promoted.json)")
        }
        #expect(try await Self.post(replica.port, "/admin/promote").status == 409, "a second promotion is refused")

        // The old primary learns it was fenced at its next round, and then refuses writes.
        try await ArchiveTests.waitUntil("the old primary says it was fenced") {
            _ = try? await Self.post(primary.port, "/tx", #"{"ops": [{"op": "createNode", "properties": {"n": -1}}]}"#)
            return try await ArchiveTests.health(primary.port).json["archive"]?["status"] == "fenced"
        }
        let refused = try await Self.post(primary.port, "/tx", #"{"ops": [{"op": "createNode", "properties": {"n": -2}}]}"#)
        #expect(refused.status == 421)
        #expect(refused.json["error"]?["code"] == "fenced")
        #expect(try await ArchiveTests.health(primary.port).json["status"] == "degraded")

        // The promoted server writes, from the next LSN on: begin, event, commit.
        let after = try await ArchiveTests.commit(port: replica.port, count: 10)
        #expect(after.first == LSN(UInt64(archivedLSN) + 3), "the first transaction begins at the archived LSN + 1")
        let last = try #require(after.last)
        try await ArchiveTests.waitUntil("the promoted server archives its commits") {
            await ArchiveTests.archivedLSN(archiveDirectory) >= last
        }
        let report = try await ArchiveRestore.verify(store: FileArchiveStore(directory: archiveDirectory))
        #expect(report.lastLSN >= last)
        let expected = try await Self.nodes(port: replica.port)
        #expect(expected.count == 30)

        // kill -9, then a restart as the primary it now is: every acknowledged write is there.
        replica.stop(SIGKILL)
        let restarted = try ServerProcess(
            ["--data-dir", directory.child("r"), "--port", "0", "--archive", archive, "--archive-interval", "30ms"])
        #expect(try await Self.nodes(port: restarted.port) == expected)
        let more = try await ArchiveTests.commit(port: restarted.port, count: 3)
        let moreLast = try #require(more.last)
        try await ArchiveTests.waitUntil("the restarted primary archives") { await ArchiveTests.archivedLSN(archiveDirectory) >= moreLast }
        #expect(restarted.stop(SIGTERM) == 0)
        #expect(primary.stop(SIGTERM) == 0)
    }

    @Test("crashes in a row: the primary killed with kill -9 mid-write and restarted three times, the replica killed and restarted once between; both end with every commit the primary acknowledged")
    func crashesInARow() async throws {
        let directory = TemporaryDirectory()
        let archive = "file://" + directory.child("archive")
        var primary = try Self.primary(directory.child("p"), archive: archive, extra: ["--checkpoint-every-commits", "7"])
        var replica = try Self.replica(directory.child("r"), of: archive)
        // The `n` of every write answered with 200; commits are sequential, so
        // the acknowledged ones of a run are its first `count` numbers.
        var acknowledged: Set<Int64> = []
        for crash in 0..<3 {
            // Writes in flight while the primary dies: those answered are acknowledged.
            let first = crash * 1000
            let writer = Task { [port = primary.port] in await ArchiveS3ServerTests.commit(port: port, first: first, count: 400) }
            try await Task.sleep(for: .milliseconds(200 + 100 * crash))
            primary.stop(SIGKILL)
            acknowledged.formUnion((0..<(await writer.value.count)).map { Int64(first + $0) })
            if crash == 1 { replica.stop(SIGKILL) }
            primary = try Self.primary(directory.child("p"), archive: archive, extra: ["--checkpoint-every-commits", "7"])
            if crash == 1 { replica = try Self.replica(directory.child("r"), of: archive) }
        }
        let last = await ArchiveS3ServerTests.commit(port: primary.port, first: 5000, count: 10)
        acknowledged.formUnion((0..<last.count).map { Int64(5000 + $0) })
        #expect(acknowledged.count > 10)
        let numbers = Set(try await Self.nodes(port: primary.port).map { $0[1] })
        #expect(acknowledged.isSubset(of: numbers), "lost: \(acknowledged.subtracting(numbers).sorted())")
        // At most the one write in flight per crash committed without its answer.
        #expect(numbers.count <= acknowledged.count + 3)
        try await Self.waitForSameGraph(replica: replica.port, primary: primary.port, "the replica follows the restarted primary")
        #expect(replica.stop(SIGTERM) == 0)
        #expect(primary.stop(SIGTERM) == 0)
        _ = try await ArchiveRestore.verify(store: FileArchiveStore(directory: directory.child("archive")))
    }

    @Test("a promotion whose restore fails leaves the replica following (the old primary fenced), and once the cause is gone a second promotion succeeds")
    func failedPromotionRetried() async throws {
        let directory = TemporaryDirectory()
        let archive = "file://" + directory.child("archive")
        let primary = try Self.primary(directory.child("p"), archive: archive)
        // A file where the promotion must make the log directory.
        try FileManager.default.createDirectory(atPath: directory.child("r"), withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: directory.child("r/wal"), contents: Data("in the way".utf8)))
        let replica = try Self.replica(directory.child("r"), of: archive)
        _ = try await ArchiveTests.commit(port: primary.port, count: 6)
        try await Self.waitForSameGraph(replica: replica.port, primary: primary.port, "the replica catches up")

        let failed = try await Self.post(replica.port, "/admin/promote")
        #expect(failed.status == 500, "\(failed.json)")
        #expect(failed.json["error"]?["message"]?.string?.contains("the lease is taken") == true, "\(failed.json)")
        #expect(try await ArchiveTests.health(replica.port).json["replica"]?["role"] == "following")
        #expect(try await Self.post(replica.port, "/tx", #"{"ops": [{"op": "createNode"}]}"#).status == 421)
        #expect(try await Self.nodes(port: replica.port).count == 6, "reads still served")
        try await ArchiveTests.waitUntil("the old primary says it was fenced") {
            try await ArchiveTests.health(primary.port).json["archive"]?["status"] == "fenced"
        }

        try FileManager.default.removeItem(atPath: directory.child("r/wal"))
        let promoted = try await Self.post(replica.port, "/admin/promote")
        #expect(promoted.status == 200, "\(promoted.json)")
        #expect(promoted.json["nodes"] == 6)
        let after = try await ArchiveTests.commit(port: replica.port, count: 2)
        #expect(after.first == LSN(UInt64(try #require(promoted.json["archivedLsn"]?.int)) + 3))
        #expect(replica.stop(SIGTERM) == 0)
        #expect(primary.stop(SIGTERM) == 0)
    }

    @Test("--replica-of refuses a data directory that holds a log, the combination with --archive, and a server without a place for the log")
    func refusals() async throws {
        let directory = TemporaryDirectory()
        let archive = "file://" + directory.child("archive")
        let primary = try Self.primary(directory.child("p"), archive: archive)
        _ = try await ArchiveTests.commit(port: primary.port, count: 1)
        #expect(primary.stop(SIGTERM) == 0)

        let occupied = try ServerProcess(["--data-dir", directory.child("p"), "--port", "0", "--replica-of", archive], waitForListening: false)
        #expect(occupied.waitForExit() == 64)
        #expect(occupied.stderr.contains("already holds a log"), "\(occupied.stderr)")

        let both = try ServerProcess(
            ["--data-dir", directory.child("q"), "--port", "0", "--replica-of", archive, "--archive", archive], waitForListening: false)
        #expect(both.waitForExit() == 64)
        #expect(both.stderr.contains("--replica-of"), "\(both.stderr)")

        let memory = try ServerProcess(["--in-memory", "--port", "0", "--replica-of", archive], waitForListening: false)
        #expect(memory.waitForExit() == 64)
        #expect(memory.stderr.contains("--replica-of"), "\(memory.stderr)")
    }

    @Test("a replica started before its archive exists answers reads with 503 and /health says starting, until the primary's first round")
    func startsBeforeArchive() async throws {
        let directory = TemporaryDirectory()
        let archive = "file://" + directory.child("archive")
        let replica = try Self.replica(directory.child("r"), of: archive)
        let early = try await LoopbackHTTP.call(port: replica.port, "GET", "/nodes")
        #expect(early.status == 503)
        #expect(try JSONParser.parse(early.body)["error"]?["code"] == "replica_not_ready")
        let health = try await ArchiveTests.health(replica.port)
        #expect(health.status == 503)
        #expect(health.json["status"] == "starting")
        let primary = try Self.primary(directory.child("p"), archive: archive)
        _ = try await ArchiveTests.commit(port: primary.port, count: 4)
        try await Self.waitForSameGraph(replica: replica.port, primary: primary.port, "the replica starts once the archive exists")
        #expect(try await ArchiveTests.health(replica.port).status == 200)
        #expect(replica.stop(SIGTERM) == 0)
        #expect(primary.stop(SIGTERM) == 0)
    }

    static func segmentFiles(_ directory: String) throws -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { SegmentID(fileName: $0) != nil }
    }
}
