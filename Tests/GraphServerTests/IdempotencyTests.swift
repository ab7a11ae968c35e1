import Foundation
import GraphServerCore
import Testing
import WALTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `Idempotency-Key` on `POST /tx`: a retry answers the original result
/// and applies nothing, in one process and across a restart.
@Suite("Idempotent retries")
struct IdempotencyTests {
    static let create = #"{"ops": [{"op": "createNode", "ref": "n", "labels": ["Order"]}]}"#

    static func tx(_ port: Int, key: String?, body: String = create) async throws -> LoopbackHTTP.Reply {
        var headers = ["Host: 127.0.0.1", "Content-Type: application/json"]
        if let key { headers.append("Idempotency-Key: \(key)") }
        return try await LoopbackHTTP.call(port: port, "POST", "/tx", headers: headers, body: body)
    }

    static func nodeCount(_ port: Int) async throws -> Int64? {
        try JSONParser.parse(try await LoopbackHTTP.call(port: port, "GET", "/stats").body)["nodes"]?.int
    }

    @Test("a retry with the same key returns the same body and applies once; another body with the key is 422")
    func retry() async throws {
        let directory = TemporaryDirectory()
        try await LiveServer.run({
            $0.storage = .dataDirectory(directory.child("data"))
            $0.wal.syncMode = .always
        }) { port throws in
            let first = try await Self.tx(port, key: "order-1")
            #expect(first.status == 200)
            #expect(first.header("idempotent-replayed") == nil)
            let again = try await Self.tx(port, key: "order-1")
            #expect(again.status == 200)
            #expect(again.body == first.body)
            #expect(again.header("idempotent-replayed") == "true")
            #expect(try await Self.nodeCount(port) == 1)

            let other = try await Self.tx(port, key: "order-1", body: #"{"ops": [{"op": "createNode", "labels": ["Other"]}]}"#)
            #expect(other.status == 422)
            #expect(other.errorCode == "idempotency_key_reused")
            // Without a key, or with a new one, the same body is a new transaction.
            #expect(try await Self.tx(port, key: nil).status == 200)
            #expect(try await Self.tx(port, key: "order-2").status == 200)
            #expect(try await Self.nodeCount(port) == 3)
        }
    }

    @Test("a failed transaction records no key: the corrected retry runs")
    func failedNotRecorded() async throws {
        try await LiveServer.run { port throws in
            let body = #"{"ops": [{"op": "setNodeProperty", "node": 0, "key": "k", "value": 1}]}"#
            #expect(try await Self.tx(port, key: "k1", body: body).status == 404)
            #expect(try await Self.tx(port, key: nil).status == 200)
            let retried = try await Self.tx(port, key: "k1", body: body)
            #expect(retried.status == 200)
            #expect(try await Self.tx(port, key: "k1", body: body).header("idempotent-replayed") == "true")
        }
    }

    @Test("two concurrent requests with one key apply once", arguments: 0..<5)
    func concurrent(round: Int) async throws {
        try await LiveServer.run { port throws in
            async let a = Self.tx(port, key: "same-\(round)")
            async let b = Self.tx(port, key: "same-\(round)")
            let replies = try await [a, b]
            for reply in replies {
                #expect(reply.status == 200 || (reply.status == 409 && reply.errorCode == "idempotency_key_in_progress"), "\(reply.body)")
            }
            let answered = replies.filter { $0.status == 200 }
            #expect(!answered.isEmpty)
            #expect(Set(answered.map(\.body)).count == 1)
            #expect(try await Self.nodeCount(port) == 1)
        }
    }

    @Test("many concurrent requests with one key, some with another body, apply once")
    func crowd() async throws {
        let directory = TemporaryDirectory()
        try await LiveServer.run({
            $0.storage = .dataDirectory(directory.child("data"))
            $0.wal.syncMode = .always
        }) { port throws in
            for round in 0..<3 {
                let replies = try await withThrowingTaskGroup(of: LoopbackHTTP.Reply.self) { group in
                    for index in 0..<16 {
                        let body = index % 4 == 3 ? #"{"ops": [{"op": "createNode", "labels": ["Other"]}]}"# : Self.create
                        group.addTask { try await Self.tx(port, key: "crowd-\(round)", body: body) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(replies.allSatisfy { [200, 409, 422].contains($0.status) }, "\(replies.map(\.body))")
                #expect(Set(replies.filter { $0.status == 200 }.map(\.body)).count == 1)
                #expect(try await Self.nodeCount(port) == Int64(round + 1))
            }
        }
    }

    @Test("a malformed key is a 400", arguments: ["", "has space", String(repeating: "k", count: 256), "naïve"])
    func malformed(key: String) async throws {
        try await LiveServer.run { port throws in
            let reply = try await Self.tx(port, key: key)
            #expect(reply.status == 400, "\(reply.body)")
            #expect(try await Self.nodeCount(port) == 0)
        }
    }

    @Test("the key survives a killed server process: the retry after the restart returns the original and applies nothing")
    func acrossRestart() async throws {
        let directory = TemporaryDirectory()
        let arguments = ["--data-dir", directory.child("data"), "--port", "0", "--wal-sync-mode", "always"]
        let server = try ServerProcess(arguments)
        let first = try await Self.tx(server.port, key: "payment-7")
        #expect(first.status == 200, "\(first.body)")
        _ = try await Self.tx(server.port, key: "payment-8", body: #"{"ops": [{"op": "createNode", "labels": ["Second"]}]}"#)
        server.stop(SIGKILL)

        let restarted = try ServerProcess(arguments)
        let retry = try await Self.tx(restarted.port, key: "payment-7")
        #expect(retry.status == 200)
        #expect(retry.body == first.body)
        #expect(retry.header("idempotent-replayed") == "true")
        #expect(try await Self.nodeCount(restarted.port) == 2)
        let reused = try await Self.tx(restarted.port, key: "payment-8")
        #expect(reused.status == 422)
        #expect(try await Self.nodeCount(restarted.port) == 2)
        #expect(restarted.stop(SIGTERM) == 0)
    }
}
