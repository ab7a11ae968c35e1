import Foundation
@testable import GraphServerCore
import Testing
import WALTestSupport

/// Paths and errno text reach the server's log and the admin routes, never
/// a client without admin rights, through a real server on loopback.
@Suite("No leaks to the unauthenticated")
struct LeakTests {
    static let json = ["Host: 127.0.0.1", "Content-Type: application/json"]
    static let admin = json + ["Authorization: Bearer admin-secret"]

    /// What a response must not show a client without admin rights.
    func expectNothingPrivate(_ reply: LoopbackHTTP.Reply, _ directory: TemporaryDirectory, _ what: String) {
        #expect(!reply.body.contains(directory.path), "\(what) names a path: \(reply.body)")
        for errnoText in ["Input/output error", "errno", "injected fsync failure", "EIO", "fdatasync"] {
            #expect(!reply.body.contains(errnoText), "\(what) shows \(errnoText): \(reply.body)")
        }
    }

    @Test("a poisoned log, a refused write and a bad snapshot: details in the log and admin routes only")
    func poisonedLog() async throws {
        let directory = TemporaryDirectory()
        let fileSystem = FailingFileSystem()
        let log = RecordingLog()
        try await LiveServer.run({
            $0.storage = .dataDirectory(directory.child("data"))
            $0.wal.fileSystem = fileSystem
            $0.adminToken = "admin-secret"
        }, logger: log.logger) { port throws in
            let create = #"{"ops": [{"op": "createNode"}]}"#
            #expect(try await LoopbackHTTP.call(port: port, "POST", "/tx", headers: Self.json, body: create).status == 200)

            // A snapshot file that is not one, loaded without and with admin rights.
            try FileManager.default.createDirectory(atPath: directory.child("data/snapshots"), withIntermediateDirectories: true)
            try Data("not a snapshot".utf8).write(to: URL(fileURLWithPath: directory.child("data/snapshots/bad.snap")))
            let load = #"{"path": "bad.snap"}"#
            let anonymousLoad = try await LoopbackHTTP.call(port: port, "POST", "/admin/snapshot/load", headers: Self.json, body: load)
            #expect(anonymousLoad.status == 401)
            expectNothingPrivate(anonymousLoad, directory, "an anonymous load")
            let adminLoad = try await LoopbackHTTP.call(port: port, "POST", "/admin/snapshot/load", headers: Self.admin, body: load)
            #expect(adminLoad.status == 400)
            #expect(adminLoad.errorCode == "bad_snapshot")

            fileSystem.failSyncs.store(true, ordering: .releasing)
            let failed = try await LoopbackHTTP.call(port: port, "POST", "/tx?durable=true", headers: Self.json, body: create)
            #expect(failed.status == 503)
            #expect(failed.errorCode == "poisoned")
            #expect(failed.body.contains("may or may not survive a crash"))
            expectNothingPrivate(failed, directory, "the failed commit")

            let refused = try await LoopbackHTTP.call(port: port, "POST", "/tx", headers: Self.json, body: create)
            #expect(refused.status == 503)
            #expect(refused.errorCode == "poisoned")
            expectNothingPrivate(refused, directory, "a refused write")

            let health = try await LoopbackHTTP.call(port: port, "GET", "/health")
            #expect(health.status == 503)
            #expect(health.body.contains("poisoned"))
            expectNothingPrivate(health, directory, "/health")

            // The admin routes show the operator what failed and where.
            let status = try await LoopbackHTTP.call(port: port, "POST", "/admin/wal/status", headers: Self.admin)
            #expect(status.status == 200)
            #expect(status.body.contains(directory.path))
            #expect(status.body.contains("Input/output error"))
            let sync = try await LoopbackHTTP.call(port: port, "POST", "/admin/sync", headers: Self.admin)
            #expect(sync.status == 503)
            #expect(sync.body.contains(directory.path))
            #expect(sync.body.contains("Input/output error"))
        }
        // And so does the server's log.
        let text = log.text
        #expect(text.contains(directory.path))
        #expect(text.contains("Input/output error"))
    }

    @Test("an unexpected failure is a 500 whose body says only where to look")
    func internalFailure() async throws {
        let failure = GraphServerError.from(CocoaError(.fileReadNoPermission, userInfo: [NSFilePathErrorKey: "/secret/place"]))
        #expect(failure.code == .internal)
        #expect(!JSONWriter.string(failure.json).contains("/secret/place"))
        #expect(failure.fullMessage.contains("/secret/place"))
    }
}
