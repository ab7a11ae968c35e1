import Dispatch
import Foundation
import GraphServerCore
import Synchronization
import Testing
import WALTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite("The graph-server process")
struct ServerProcessTests {
    @Test("a bad sync mode stops start-up with one line naming the flag")
    func badSyncMode() throws {
        let server = try ServerProcess(["--wal-sync-mode", "sometimes", "--in-memory"], waitForListening: false)
        let status = server.waitForExit()
        #expect(status != 0)
        let lines = server.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(server.stderr)")
        #expect(lines.first?.hasPrefix("graph-server: --wal-sync-mode: invalid value \"sometimes\"") == true)
        #expect(server.stdout.isEmpty)
    }

    @Test("a non-loopback host without a token refuses to start, from a flag or the environment")
    func openHostRefused() throws {
        for (arguments, environment) in [(["--host", "0.0.0.0", "--in-memory"], [:]), (["--in-memory"], ["GRAPH_SERVER_HOST": "0.0.0.0"])] {
            let server = try ServerProcess(arguments, waitForListening: false, environment: environment)
            #expect(server.waitForExit() != 0)
            let lines = server.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(server.stderr)")
            #expect(lines.first?.contains("--admin-token") == true)
            #expect(lines.first?.contains("--allow-open-admin") == true)
        }
    }

    @Test("an unusable data directory stops start-up with one line naming the path")
    func unusableDirectory() throws {
        let directory = TemporaryDirectory()
        let file = directory.child("not-a-directory")
        _ = FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        let server = try ServerProcess(["--data-dir", file, "--port", "0"], waitForListening: false)
        #expect(server.waitForExit() != 0)
        #expect(server.stderr == "graph-server: --data-dir \(file): exists but is not a directory\n")
    }

    @Test("--help lists every flag with its environment variable, and examples")
    func help() throws {
        let server = try ServerProcess(["--help"], waitForListening: false)
        #expect(server.waitForExit() == 0)
        for setting in ServerSetting.allCases {
            #expect(server.stdout.contains(setting.flag), "missing \(setting.flag)")
            #expect(server.stdout.contains(setting.environmentVariable), "missing \(setting.environmentVariable)")
        }
        #expect(server.stdout.contains("Examples:"))
    }

    @Test("a second server on the same data directory is refused while the first runs")
    func directoryLocked() throws {
        let directory = TemporaryDirectory()
        let first = try ServerProcess(["--data-dir", directory.path, "--port", "0"])
        let second = try ServerProcess(["--data-dir", directory.path, "--port", "0"], waitForListening: false)
        #expect(second.waitForExit() != 0)
        #expect(second.stderr.split(separator: "\n").last?.hasPrefix("graph-server: cannot open the database") == true, "\(second.stderr)")
        #expect(first.stop(SIGTERM) == 0)
    }

    /// One transaction of the kill test: two nodes and the relationship
    /// between them, then a property on the first, all sharing a token.
    struct Pair: Sendable {
        var token: String
        var a: Int64
        var b: Int64
        var r: Int64
    }

    /// What the client threads share.
    final class Round: Sendable {
        let acknowledged = Mutex<[Pair]>([])
        let unexpected = Mutex<[String]>([])
        let stop = Atomic<Bool>(false)
    }

    static func transactionBody(token: String) -> String {
        """
        {"ops": [
          {"op": "createNode", "ref": "a", "labels": ["Kill"], "properties": {"token": "\(token)", "part": "a"}},
          {"op": "createNode", "ref": "b", "labels": ["Kill"], "properties": {"token": "\(token)", "part": "b"}},
          {"op": "createRelationship", "ref": "r", "type": "PAIR", "from": "$a", "to": "$b", "properties": {"token": "\(token)"}},
          {"op": "setNodeProperty", "node": "$a", "key": "complete", "value": true}
        ]}
        """
    }

    /// Under `always` an acknowledged transaction was fsynced; under
    /// `group-sync` (the default) it was only copied into the mapped
    /// segment, which a killed process must not lose either.
    @Test(
        "SIGKILL at a random moment loses no acknowledged transaction and leaves none in part, round after round",
        arguments: ["always", "group-sync"])
    func killAndRecover(mode: String) throws {
        let directory = TemporaryDirectory()
        let arguments = [
            "--data-dir", directory.path, "--port", "0", "--wal-sync-mode", mode,
            "--segment-target-bytes", "64KiB", "--checkpoint-every-commits", "100",
        ]
        var acknowledged: [Pair] = []
        for round in 0..<5 {
            let server = try ServerProcess(arguments)
            try Self.verify(port: server.port, acknowledged: acknowledged)
            let port = server.port
            let shared = Round()
            let clients = DispatchGroup()
            for client in 0..<4 {
                DispatchQueue.global().async(group: clients) {
                    for sequence in 0..<400 where !shared.stop.load(ordering: .acquiring) {
                        let token = "r\(round)-c\(client)-\(sequence)"
                        let reply: LoopbackHTTP.Reply
                        do {
                            reply = try LoopbackHTTP.request(port: port, method: "POST", path: "/tx", body: Self.transactionBody(token: token), timeoutSeconds: 10)
                        } catch {
                            return  // the server is gone: this transaction's fate is unknown, and allowed to be either
                        }
                        guard reply.status == 200, let json = try? JSONParser.parse(reply.body), let created = json["created"],
                            let a = created["a"]?.int, let b = created["b"]?.int, let r = created["r"]?.int
                        else {
                            shared.unexpected.withLock { $0.append("\(reply.status) \(reply.body)") }
                            return
                        }
                        shared.acknowledged.withLock { $0.append(Pair(token: token, a: a, b: b, r: r)) }
                    }
                }
            }
            // Kill once some transactions are through, after a random extra moment.
            let deadline = ContinuousClock.now + .seconds(20)
            while shared.acknowledged.withLock({ $0.count }) < 4 && ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.005)
            }
            Thread.sleep(forTimeInterval: Double.random(in: 0.02...0.4))
            server.stop(SIGKILL)
            shared.stop.store(true, ordering: .releasing)
            clients.wait()
            #expect(shared.unexpected.withLock { $0 }.isEmpty, "\(shared.unexpected.withLock { $0 })")
            let acknowledgedThisRound = shared.acknowledged.withLock { $0 }
            #expect(acknowledgedThisRound.count >= 4, "round \(round): too few transactions before the kill")
            acknowledged += acknowledgedThisRound
        }

        // A clean stop after the last recovery keeps everything too.
        let server = try ServerProcess(arguments)
        try Self.verify(port: server.port, acknowledged: acknowledged)
        #expect(server.stop(SIGTERM) == 0, "\(server.stderr)")
        let restarted = try ServerProcess(arguments)
        try Self.verify(port: restarted.port, acknowledged: acknowledged)
        #expect(restarted.stop(SIGINT) == 0)
    }

    /// Every acknowledged transaction is there whole, and every transaction
    /// that is there at all (acknowledged or not) is there whole.
    static func verify(port: Int, acknowledged: [Pair]) throws {
        func get(_ path: String) throws -> JSONValue {
            let reply = try LoopbackHTTP.request(port: port, method: "GET", path: path)
            #expect(reply.status == 200, "GET \(path): \(reply.status) \(reply.body)")
            return try JSONParser.parse(reply.body)
        }
        for pair in acknowledged {
            let a = try get("/nodes/\(pair.a)")
            #expect(a["properties"] == ["token": .string(pair.token), "part": "a", "complete": true], "acknowledged \(pair.token) lost or partial")
            let b = try get("/nodes/\(pair.b)")
            #expect(b["properties"]?["token"]?.string == pair.token)
            let r = try get("/relationships/\(pair.r)")
            #expect(r == ["id": .integer(pair.r), "type": "PAIR", "from": .integer(pair.a), "to": .integer(pair.b), "properties": ["token": .string(pair.token)]])
        }
        // Group every node present by token.
        var nodesByToken: [String: [JSONValue]] = [:]
        var after: Int64?
        repeat {
            let page = try get("/nodes?label=Kill&limit=1000" + (after.map { "&after=\($0)" } ?? ""))
            for node in page["nodes"]?.array ?? [] {
                nodesByToken[node["properties"]?["token"]?.string ?? "?", default: []].append(node)
            }
            after = page["next"]?.int
        } while after != nil
        for (token, nodes) in nodesByToken {
            let parts = nodes.compactMap { $0["properties"]?["part"]?.string }.sorted()
            #expect(parts == ["a", "b"], "transaction \(token) is there in part: \(parts)")
            guard let a = nodes.first(where: { $0["properties"]?["part"] == "a" }), let aID = a["id"]?.int,
                let bID = nodes.first(where: { $0["properties"]?["part"] == "b" })?["id"]?.int
            else { continue }
            #expect(a["properties"]?["complete"] == true, "transaction \(token) lost its last op")
            let out = try get("/nodes/\(aID)/relationships?direction=out")["relationships"]?.array ?? []
            #expect(out.count == 1 && out.first?["to"]?.int == bID && out.first?["properties"]?["token"]?.string == token,
                "transaction \(token) lost its relationship")
        }
        let stats = try get("/stats")
        #expect(stats["nodes"]?.int == Int64(nodesByToken.count * 2))
        #expect(stats["relationships"]?.int == Int64(nodesByToken.count))
        #expect(nodesByToken.count >= Set(acknowledged.map(\.token)).count)
    }
}
