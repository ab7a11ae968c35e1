import ArchiveTestSupport
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

/// graph-server archiving to a real S3-compatible server (moto on loopback).
@Suite("Archive to S3 from graph-server")
struct ArchiveS3ServerTests {
    /// The `n` properties of the nodes of the graph in a data directory, ascending.
    static func numbers(inDataDirectory data: String) throws -> [Int64] {
        let (database, _) = try GraphDatabase.open(GraphDatabaseConfiguration(storage: .dataDirectory(data)))
        defer { try? database.close() }
        return database.snapshot.nodes(limit: .max).items.compactMap { node in
            if case .int(let value)? = node.properties["n"] { return value }
            return nil
        }.sorted()
    }

    /// Commits one-node transactions whose nodes carry `n` = `first`,
    /// `first + 1`, ..., up to `count` of them or until the server stops
    /// answering; returns the commit LSNs of those acknowledged.
    static func commit(port: Int, first: Int, count: Int) async -> [LSN] {
        var lsns: [LSN] = []
        for number in first..<(first + count) {
            let body = #"{"ops": [{"op": "createNode", "labels": ["Archived"], "properties": {"n": \#(number), "blob": "\#(String(repeating: "y", count: 200))"}}]}"#
            guard let reply = try? await LoopbackHTTP.call(port: port, "POST", "/tx", headers: ArchiveTests.json, body: body),
                reply.status == 200, let lsn = (try? JSONParser.parse(reply.body))?["lsn"]?.int
            else { break }
            lsns.append(LSN(UInt64(lsn)))
        }
        return lsns
    }

    /// The AWS environment variables that point a server at `moto`.
    static func environment(_ moto: MotoServer) -> [String: String] {
        [
            "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:\(moto.port)", "AWS_ACCESS_KEY_ID": moto.credentials.accessKeyID,
            "AWS_SECRET_ACCESS_KEY": moto.credentials.secretAccessKey, "AWS_REGION": "us-east-1",
        ]
    }

    /// Every object's bytes in a bucket, as stored (ciphertext when encrypted).
    static func rawObjects(_ store: S3ArchiveStore, prefix: String) async throws -> [[UInt8]] {
        var objects: [[UInt8]] = []
        for info in try await store.listAll(prefix: prefix) {
            if let object = try await store.get(info.key) { objects.append(object.bytes) }
        }
        return objects
    }

    @Test("kill -9 while uploading to an encrypted S3 archive with retention: the restore is a prefix of the commits holding all the archive acknowledged, and a restart goes on")
    func killDuringUploads() async throws {
        try await withMotoServer { moto in
            let directory = TemporaryDirectory()
            let bucketStore = try await moto.makeBucket()
            let key = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ 5) }
            let keyFile = directory.child("archive.key")
            try Data(key).write(to: URL(fileURLWithPath: keyFile))
            let data = directory.child("data")
            let arguments = [
                "--data-dir", data, "--port", "0", "--archive", "s3://\(bucketStore.bucket)/graph", "--archive-interval", "20ms",
                "--archive-key-file", keyFile, "--archive-retain", "1", "--checkpoint-every-commits", "12",
            ]
            let environment = Self.environment(moto)
            let server = try ServerProcess(arguments, environment: environment)
            var commits = await Self.commit(port: server.port, first: 0, count: 40)
            try #require(commits.count == 40)
            try await ArchiveTests.waitUntil("the archive ships something") {
                try await ArchiveTests.metric("graph_archive_archived_lsn", port: server.port) ?? 0 >= Double(commits[20].rawValue)
            }
            // Commits go on while the server is killed in the middle of them.
            let port = server.port
            let writer = Task { await Self.commit(port: port, first: 40, count: 200) }
            try await Task.sleep(for: .milliseconds(150))
            let acknowledged = UInt64(try await ArchiveTests.metric("graph_archive_archived_lsn", port: server.port) ?? 0)
            #expect(server.stop(SIGKILL) != 0)
            commits += await writer.value

            let store = try EncryptedArchiveStore(base: bucketStore, key: key)
            let verified = try await ArchiveRestore.verify(store: store, prefix: "graph")
            #expect(verified.lastLSN.rawValue >= acknowledged)
            #expect(!verified.snapshots.isEmpty, "checkpoints were archived")
            // Retention is checked after the restart: a round ships every
            // snapshot taken since the last one (a checkpoint every 12
            // commits can outpace 20 ms rounds on a loaded machine), so the
            // killed round may have left several before it could apply it.
            let restored = directory.child("restored")
            let report = try await ArchiveRestore.restore(
                from: store, prefix: "graph", into: restored + "/wal",
                snapshotPath: { lsn in GraphDatabaseConfiguration(storage: .dataDirectory(restored)).snapshotPath(for: lsn) ?? "" })
            #expect(report.snapshotLSN != nil, "retention deleted the log before the newest snapshot, so the restore starts from it")
            let numbers = try Self.numbers(inDataDirectory: restored)
            #expect(numbers == Array(0..<Int64(numbers.count)), "a prefix of the commits")
            let acknowledgedCount = commits.filter { $0.rawValue <= acknowledged }.count
            #expect(numbers.count >= acknowledgedCount, "everything the archive acknowledged before the kill is restored")

            // The bucket holds no plaintext: not the label, not the head's fields.
            for bytes in try await Self.rawObjects(bucketStore, prefix: "graph/") {
                #expect(!String(decoding: bytes, as: UTF8.self).contains("Archived"))
                #expect(!String(decoding: bytes, as: UTF8.self).contains("archiveID"))
            }

            // The same server (same lease holder) starts again and goes on archiving.
            let again = try ServerProcess(arguments, environment: environment)
            let more = await Self.commit(port: again.port, first: 1000, count: 5)
            let last = try #require(more.last)
            try await ArchiveTests.waitUntil("the restarted server archives LSN \(last)") {
                (try? await ArchiveRestore.verify(store: store, prefix: "graph").lastLSN) ?? .none >= last
            }
            // --archive-retain 1: the restarted server's first round applies
            // it, whatever the killed one left.
            try await ArchiveTests.waitUntil("retention keeps the newest snapshot only") {
                (try? await ArchiveRestore.verify(store: store, prefix: "graph").snapshots.count) == 1
            }
            #expect(again.stop(SIGTERM) == 0)
        }
    }

    @Test("a second server refuses to archive into a leased prefix, naming the holder; told to take over, it fences the first")
    func secondPrimaryRefused() async throws {
        try await withMotoServer { moto in
            let directory = TemporaryDirectory()
            let bucketStore = try await moto.makeBucket()
            let environment = Self.environment(moto)
            let url = "s3://\(bucketStore.bucket)/db"
            let first = try ServerProcess(
                ["--data-dir", directory.child("a"), "--port", "0", "--archive", url, "--archive-interval", "20ms", "--archive-holder", "primary-a"],
                environment: environment)
            let commits = await Self.commit(port: first.port, first: 0, count: 3)
            try #require(commits.count == 3)
            try await ArchiveTests.waitUntil("the first primary archives") {
                try await ArchiveTests.metric("graph_archive_archived_lsn", port: first.port) ?? 0 >= Double(commits[2].rawValue)
            }
            let second = try ServerProcess(
                ["--data-dir", directory.child("b"), "--port", "0", "--archive", url, "--archive-interval", "20ms", "--archive-holder", "primary-b"],
                environment: environment)
            try await ArchiveTests.waitUntil("the second server reports the lease") {
                let health = try await ArchiveTests.health(second.port)
                return health.json["archive"]?["lastError"]?.string?.contains("leased to primary-a") == true
            }
            #expect(try await ArchiveTests.metric("graph_archive_last_round_failed", port: second.port) == 1)
            #expect(second.stop(SIGTERM) == 0)

            // Told to take over, it does, from a restore of the archive; the first primary is fenced.
            let restored = directory.child("c")
            _ = try await ArchiveRestore.restore(from: bucketStore, prefix: "db", into: restored + "/wal")
            let successor = try ServerProcess(
                [
                    "--data-dir", restored, "--port", "0", "--archive", url, "--archive-interval", "20ms", "--archive-holder", "primary-b",
                    "--archive-take-over",
                ],
                environment: environment)
            let next = await Self.commit(port: successor.port, first: 100, count: 2)
            let nextLast = try #require(next.last)
            #expect(nextLast > commits[2], "the successor continues the log above the archived LSNs")
            try await ArchiveTests.waitUntil("the successor archives its commits") {
                try await ArchiveTests.metric("graph_archive_archived_lsn", port: successor.port) ?? 0 >= Double(nextLast.rawValue)
            }
            _ = await Self.commit(port: first.port, first: 200, count: 1)
            try await ArchiveTests.waitUntil("the first primary says it was fenced") {
                let health = try await ArchiveTests.health(first.port)
                return health.json["archive"]?["lastError"]?.string?.contains("taken over by primary-b") == true
            }
            _ = try await ArchiveRestore.verify(store: bucketStore, prefix: "db")
            #expect(successor.stop(SIGTERM) == 0)
            #expect(first.stop(SIGTERM) == 0)
        }
    }
    @Test("over S3: a replica sees each commit within the poll interval's lag, and its promotion fences the old primary and continues the archive")
    func replicaAndPromotion() async throws {
        try await withMotoServer { moto in
            let directory = TemporaryDirectory()
            let bucketStore = try await moto.makeBucket()
            let environment = Self.environment(moto)
            let url = "s3://\(bucketStore.bucket)/db"
            let primary = try ReplicaTests.primary(
                directory.child("p"), archive: url, extra: ["--checkpoint-every-commits", "6"], environment: environment)
            _ = await Self.commit(port: primary.port, first: 0, count: 10)
            let replica = try ReplicaTests.replica(directory.child("r"), of: url, environment: environment)
            for round in 0..<3 {
                let commits = await Self.commit(port: primary.port, first: 100 * (round + 1), count: 4)
                let last = try #require(commits.last)
                try await ArchiveTests.waitUntil("the replica applies LSN \(last)") {
                    try await ArchiveTests.metric("graph_replica_applied_lsn", port: replica.port) ?? 0 >= Double(last.rawValue)
                }
            }
            try await ReplicaTests.waitForSameGraph(replica: replica.port, primary: primary.port, "the replica serves the primary's graph")

            let promoted = try await ReplicaTests.post(replica.port, "/admin/promote")
            #expect(promoted.status == 200, "\(promoted.json)")
            let archivedLSN = try #require(promoted.json["archivedLsn"]?.int)
            try await ArchiveTests.waitUntil("the old primary is fenced") {
                _ = await Self.commit(port: primary.port, first: 900, count: 1)
                return try await ArchiveTests.health(primary.port).json["archive"]?["status"] == "fenced"
            }
            let after = await Self.commit(port: replica.port, first: 1000, count: 5)
            #expect(after.first == LSN(UInt64(archivedLSN) + 3))
            let last = try #require(after.last)
            try await ArchiveTests.waitUntil("the promoted server archives") {
                try await ArchiveTests.metric("graph_archive_archived_lsn", port: replica.port) ?? 0 >= Double(last.rawValue)
            }
            let report = try await ArchiveRestore.verify(store: bucketStore, prefix: "db")
            #expect(report.lastLSN >= last)
            #expect(replica.stop(SIGTERM) == 0)
            #expect(primary.stop(SIGTERM) == 0)
        }
    }
    @Test("over S3: the store going away (connections reset, new ones refused) and coming back loses nothing: writes go on, /health degrades, the backlog ships, a restore holds every commit")
    func storeGoesAwayAndComesBack() async throws {
        try await withMotoServer { moto in
            let directory = TemporaryDirectory()
            let bucketStore = try await moto.makeBucket()
            let proxy = try LoopbackProxy(forwardingTo: moto.port)
            var environment = Self.environment(moto)
            environment["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:\(proxy.port)"
            let url = "s3://\(bucketStore.bucket)/db"
            let server = try ServerProcess(
                [
                    "--data-dir", directory.child("data"), "--port", "0", "--archive", url, "--archive-interval", "50ms",
                    "--archive-max-lag", "1s", "--segment-target-bytes", "64KiB", "--checkpoint-every-commits", "40",
                ],
                environment: environment)
            var commits = await Self.commit(port: server.port, first: 0, count: 10)
            let before = try #require(commits.last)
            try await ArchiveTests.waitUntil("the archive reaches LSN \(before)") {
                try await ArchiveTests.metric("graph_archive_archived_lsn", port: server.port) ?? 0 >= Double(before.rawValue)
            }

            proxy.cut()
            commits += await Self.commit(port: server.port, first: 10, count: 150)
            #expect(commits.count == 160, "writes go on while the archive is away")
            try await ArchiveTests.waitUntil("/health says degraded") {
                try await ArchiveTests.health(server.port).json["status"] == "degraded"
            }
            #expect(try await ArchiveTests.metric("graph_archive_last_round_failed", port: server.port) == 1)
            #expect(try await ArchiveTests.metric("graph_archive_archived_lsn", port: server.port) ?? 0 < Double(try #require(commits.last).rawValue))

            try proxy.restore()
            let last = try #require(commits.last)
            try await ArchiveTests.waitUntil("the backlog ships once the store is back", timeout: .seconds(60)) {
                try await ArchiveTests.metric("graph_archive_archived_lsn", port: server.port) ?? 0 >= Double(last.rawValue)
            }
            try await ArchiveTests.waitUntil("/health is ok again") {
                try await ArchiveTests.health(server.port).json["status"] == "ok"
            }
            #expect(server.stop(SIGTERM) == 0)
            _ = try await ArchiveRestore.verify(store: bucketStore, prefix: "db")
            let restored = directory.child("restored")
            _ = try await ArchiveRestore.restore(
                from: bucketStore, prefix: "db", into: restored + "/wal",
                snapshotPath: { GraphDatabaseConfiguration(storage: .dataDirectory(restored)).snapshotPath(for: $0) ?? "" })
            #expect(try Self.numbers(inDataDirectory: restored) == (0..<160).map(Int64.init))
        }
    }
}
