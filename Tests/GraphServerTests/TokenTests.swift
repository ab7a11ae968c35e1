import Foundation
import GraphServerCore
import Testing
import WALTestSupport

@Suite("Bearer tokens")
struct TokenTests {
    static let tx = #"{"ops": [{"op": "createNode"}]}"#

    func status(_ port: Int, _ method: String, _ path: String, token: String?, body: String? = nil) async throws -> Int {
        var headers = ["Host: 127.0.0.1", "Content-Type: application/json"]
        if let token { headers.append("Authorization: \(token)") }
        return try await LoopbackHTTP.call(port: port, method, path, headers: headers, body: body).status
    }

    @Test("read, write and admin tokens each open their routes, and a stronger token opens the weaker ones")
    func matrix() async throws {
        try await LiveServer.run({
            $0.readToken = "r-token"
            $0.writeToken = "w-token"
            $0.adminToken = "a-token"
        }) { port throws in
            for (token, read, write, admin) in [
                (nil, 401, 401, 401), ("Bearer r-token", 200, 401, 401), ("Bearer w-token", 200, 200, 401),
                ("Bearer a-token", 200, 200, 400), ("Bearer wrong", 401, 401, 401),
            ] as [(String?, Int, Int, Int)] {
                let name = token ?? "none"
                #expect(try await status(port, "GET", "/stats", token: token) == read, "\(name) reading")
                #expect(try await status(port, "GET", "/nodes/999999", token: token) == (read == 200 ? 404 : read), "\(name) reading a node")
                #expect(try await status(port, "GET", "/metrics", token: token) == read, "\(name) reading metrics")
                #expect(try await status(port, "POST", "/tx", token: token, body: Self.tx) == write, "\(name) writing")
                // An in-memory server answers the admin route with 400 unavailable once let in.
                #expect(try await status(port, "POST", "/admin/sync", token: token) == admin, "\(name) on admin")
            }
            // Load balancers probe /health without a token.
            #expect(try await status(port, "GET", "/health", token: nil) == 200)
        }
    }

    @Test("a write token alone leaves reads open", arguments: [nil, "Bearer nope"])
    func writeTokenOnly(token: String?) async throws {
        try await LiveServer.run({ $0.writeToken = "w" }) { port throws in
            #expect(try await status(port, "GET", "/stats", token: token) == 200)
            #expect(try await status(port, "POST", "/tx", token: token, body: Self.tx) == 401)
            #expect(try await status(port, "POST", "/tx", token: "Bearer w", body: Self.tx) == 200)
        }
    }

    @Test("the Bearer scheme matches in any case, with any spacing", arguments: ["Bearer s3cret", "bearer s3cret", "BEARER s3cret", "BeArEr   s3cret ", "Bearer\ts3cret"])
    func schemeCase(header: String) async throws {
        try await LiveServer.run({ $0.writeToken = "s3cret" }) { port throws in
            #expect(try await status(port, "POST", "/tx", token: header, body: Self.tx) == 200)
        }
    }

    @Test("other schemes and near misses are refused with 401 and a Bearer challenge", arguments: ["Basic s3cret", "Bearers3cret", "Bearer", "Bearer s3cre", "Bearer s3cretx", "s3cret"])
    func refused(header: String) async throws {
        try await LiveServer.run({ $0.writeToken = "s3cret" }) { port throws in
            let reply = try await LoopbackHTTP.call(
                port: port, "POST", "/tx", headers: ["Host: 127.0.0.1", "Content-Type: application/json", "Authorization: \(header)"], body: Self.tx)
            #expect(reply.status == 401)
            #expect(reply.header("www-authenticate")?.hasPrefix("Bearer") == true)
            #expect(!reply.body.contains("s3cret"))
        }
    }

    @Test("tokens are read from files, without their line break, and the flags name a bad file")
    func tokenFiles() throws {
        let directory = TemporaryDirectory()
        try "admin-secret\n".write(toFile: directory.child("admin"), atomically: true, encoding: .utf8)
        try "write-secret\r\n".write(toFile: directory.child("write"), atomically: true, encoding: .utf8)
        try "read-secret".write(toFile: directory.child("read"), atomically: true, encoding: .utf8)
        try "\n".write(toFile: directory.child("empty"), atomically: true, encoding: .utf8)
        let configuration = try ServerConfiguration.resolve(
            ServerFlags(values: [.host: "0.0.0.0", .adminTokenFile: directory.child("admin"), .writeTokenFile: directory.child("write")]),
            environment: ["GRAPH_SERVER_READ_TOKEN_FILE": directory.child("read")])
        #expect(configuration.adminToken == "admin-secret")
        #expect(configuration.writeToken == "write-secret")
        #expect(configuration.readToken == "read-secret")

        let missing = #expect(throws: GraphServerError.self) {
            try ServerConfiguration.resolve(ServerFlags(values: [.adminTokenFile: directory.child("nope")]), environment: [:])
        }
        #expect(missing?.message == "--admin-token-file \(directory.child("nope")): cannot read the token file")
        let empty = #expect(throws: GraphServerError.self) {
            try ServerConfiguration.resolve(ServerFlags(values: [.writeTokenFile: directory.child("empty")]), environment: [:])
        }
        #expect(empty?.message.contains("the token file is empty") == true)
        let both = #expect(throws: GraphServerError.self) {
            try ServerConfiguration.resolve(ServerFlags(values: [.readToken: "x", .readTokenFile: directory.child("read")]), environment: [:])
        }
        #expect(both?.message.hasPrefix("--read-token cannot be combined with --read-token-file") == true)
    }

    @Test("the real binary takes its admin token from a file, so it is not in its arguments")
    func binaryTokenFile() async throws {
        let directory = TemporaryDirectory()
        try "from-a-file\n".write(toFile: directory.child("token"), atomically: true, encoding: .utf8)
        let server = try ServerProcess(["--in-memory", "--port", "0", "--admin-token-file", directory.child("token")])
        defer { server.stop(SIGTERM) }
        #expect(try server.request("POST", "/admin/sync").status == 401)
        let authorized = try await LoopbackHTTP.call(port: server.port, "POST", "/admin/sync", headers: ["Host: 127.0.0.1", "Authorization: bearer from-a-file"])
        #expect(authorized.status == 400, "in memory: unavailable once let in; \(authorized.body)")
        #expect(!(server.process.arguments ?? []).joined().contains("from-a-file"))
    }
}
