import Foundation
import GraphServerCore
import Testing
import WALTestSupport

/// Browser rules, through a real server on loopback with a raw client, so
/// that every header is exactly what a browser (or curl) sends.
@Suite("Cross-site requests and DNS rebinding")
struct CrossSiteTests {
    static let create = #"{"ops": [{"op": "createNode", "labels": ["A"]}]}"#
    static let clear = #"{"ops": [{"op": "clear"}]}"#

    func nodeCount(_ port: Int) async throws -> String {
        try await LoopbackHTTP.call(port: port, "GET", "/stats").body
    }

    @Test("a page's no-cors POST (text/plain, foreign Origin) cannot change the graph")
    func browserNoCorsPost() async throws {
        try await LiveServer.run { port throws in
            #expect(try await LoopbackHTTP.call(port: port, "POST", "/tx", headers: ["Host: 127.0.0.1", "Content-Type: application/json"], body: Self.create).status == 200)
            // What fetch(url, {method: "POST", mode: "no-cors", body}) sends from http://evil.example.
            let attack = try await LoopbackHTTP.call(
                port: port, "POST", "/tx",
                headers: [
                    "Host: 127.0.0.1:\(port)", "Content-Type: text/plain;charset=UTF-8", "Origin: http://evil.example",
                    "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: no-cors",
                ],
                body: Self.clear)
            #expect(attack.status == 403, "\(attack.body)")
            #expect(attack.header("x-content-type-options") == "nosniff")
            #expect(attack.header("cross-origin-resource-policy") == "same-origin")
            #expect(attack.errorCode == "forbidden")
            #expect(attack.body.contains("--cors-origin"))
            // The same body as text/plain without an Origin is still refused: not JSON.
            let plain = try await LoopbackHTTP.call(port: port, "POST", "/tx", headers: ["Host: 127.0.0.1", "Content-Type: text/plain"], body: Self.clear)
            #expect(plain.status == 415)
            #expect(plain.errorCode == "unsupported_media_type")
            // A form post, what curl -d sends by default, and a body with no type at all.
            let form = try await LoopbackHTTP.call(
                port: port, "POST", "/tx", headers: ["Host: 127.0.0.1", "Content-Type: application/x-www-form-urlencoded"], body: Self.clear)
            #expect(form.status == 415)
            #expect(form.body.contains("application/json"))
            let untyped = try await LoopbackHTTP.call(port: port, "POST", "/tx", headers: ["Host: 127.0.0.1"], body: Self.clear)
            #expect(untyped.status == 415)
            #expect(try await nodeCount(port).contains(#""nodes":1"#), "the graph was not cleared")
        }
    }

    @Test("a cross-site admin request cannot write a file, even with a JSON type")
    func crossSiteAdmin() async throws {
        let directory = TemporaryDirectory()
        try await LiveServer.run({ $0.storage = .dataDirectory(directory.path) }) { port throws in
            let attack = try await LoopbackHTTP.call(
                port: port, "POST", "/admin/checkpoint",
                headers: ["Host: localhost:\(port)", "Content-Type: text/plain", "Origin: https://evil.example"],
                body: #"{"path": "x.snap"}"#)
            #expect(attack.status == 403)
            let fetchSite = try await LoopbackHTTP.call(
                port: port, "POST", "/admin/checkpoint", headers: ["Host: localhost", "Sec-Fetch-Site: same-site"])
            #expect(fetchSite.status == 403)
            #expect(!FileManager.default.fileExists(atPath: directory.child("snapshots/x.snap")))
        }
    }

    @Test("curl, scripts and same-origin pages keep working")
    func allowed() async throws {
        try await LiveServer.run { port throws in
            let json = "Content-Type: application/json; charset=utf-8"
            // curl: no Origin, no Sec-Fetch-Site.
            #expect(try await LoopbackHTTP.call(port: port, "POST", "/tx", headers: ["Host: localhost:\(port)", json], body: Self.create).status == 200)
            // A page served by this server, and a URL typed in the address bar.
            let sameOrigin = try await LoopbackHTTP.call(
                port: port, "POST", "/tx",
                headers: ["Host: 127.0.0.1:\(port)", json, "Origin: http://127.0.0.1:\(port)", "Sec-Fetch-Site: same-origin"], body: Self.create)
            #expect(sameOrigin.status == 200, "\(sameOrigin.body)")
            #expect(sameOrigin.header("x-content-type-options") == "nosniff")
            #expect(try await LoopbackHTTP.call(port: port, "GET", "/stats", headers: ["Host: localhost:\(port)", "Sec-Fetch-Site: none"]).status == 200)
            // An admin route with no body needs no Content-Type (curl -X POST).
            #expect(try await LoopbackHTTP.call(port: port, "POST", "/admin/sync", headers: ["Host: 127.0.0.1"]).errorCode == "unavailable")
            // HTTP/1.0 without a Host.
            let connection = try RawConnection(port: port)
            try await connection.send("GET /health HTTP/1.0\r\nConnection: close\r\n\r\n")
            #expect(try await LoopbackHTTP.parse(connection.readToEnd()).status == 200)
        }
    }

    @Test(
        "the Host header must name this server",
        arguments: [
            ("evil.example", 403), ("evil.example:4747", 403), ("localhost", 200), ("LOCALHOST.", 200), ("app.localhost", 200),
            ("127.0.0.1", 200), ("10.1.2.3:80", 200), ("[::1]:4747", 200), ("db.internal", 200), ("DB.internal:9", 200),
            ("localhost.evil.example", 403), ("bad host", 403),
        ])
    func host(header: String, status: Int) async throws {
        try await LiveServer.run({ $0.allowedHosts = ["db.internal"] }) { port throws in
            let reply = try await LoopbackHTTP.call(port: port, "GET", "/stats", headers: ["Host: \(header)"])
            #expect(reply.status == status, "\(header): \(reply.body)")
            if status == 403 { #expect(reply.errorCode == "forbidden") }
        }
    }

    @Test("the name the server binds is a good Host")
    func boundHost() async throws {
        try await LiveServer.run({ $0.host = "localhost" }) { port throws in
            #expect(try await LoopbackHTTP.call(port: port, "GET", "/stats", headers: ["Host: localhost:\(port)"]).status == 200)
            #expect(try await LoopbackHTTP.call(port: port, "GET", "/stats", headers: ["Host: rebound.example:\(port)"]).status == 403)
        }
    }

    @Test("--cors-origin lets one browser app in, with a preflight and CORS headers, and no other")
    func cors() async throws {
        let app = "http://localhost:3000"
        var configuration = ServerConfiguration()
        configuration = try ServerConfiguration.resolve(ServerFlags(values: [.corsOrigin: "http://LOCALHOST:3000/, https://x.example:443"]), environment: [:])
        #expect(configuration.corsOrigins == [app, "https://x.example"])
        try await LiveServer.run({ $0.corsOrigins = [app] }) { port throws in
            let preflight = try await LoopbackHTTP.call(
                port: port, "OPTIONS", "/tx",
                headers: [
                    "Host: localhost:\(port)", "Origin: \(app)", "Access-Control-Request-Method: POST",
                    "Access-Control-Request-Headers: content-type", "Sec-Fetch-Site: same-site",
                ])
            #expect(preflight.status == 204)
            #expect(preflight.header("access-control-allow-origin") == app)
            #expect(preflight.header("access-control-allow-methods")?.contains("POST") == true)
            #expect(preflight.header("access-control-allow-headers")?.lowercased().contains("content-type") == true)
            let post = try await LoopbackHTTP.call(
                port: port, "POST", "/tx",
                headers: ["Host: localhost:\(port)", "Origin: \(app)", "Content-Type: application/json", "Sec-Fetch-Site: same-site"],
                body: Self.create)
            #expect(post.status == 200, "\(post.body)")
            #expect(post.header("access-control-allow-origin") == app)
            #expect(post.header("vary") == "Origin")
            let other = try await LoopbackHTTP.call(
                port: port, "OPTIONS", "/tx", headers: ["Host: localhost:\(port)", "Origin: http://localhost:3001", "Access-Control-Request-Method: POST"])
            #expect(other.status == 403)
            #expect(other.header("access-control-allow-origin") == nil)
        }
    }

    @Test("a bad --cors-origin is refused at start-up", arguments: ["localhost:3000", "null", "http://x.example/app", "ftp://x.example"])
    func badCorsOrigin(value: String) {
        let error = #expect(throws: GraphServerError.self) {
            try ServerConfiguration.resolve(ServerFlags(values: [.corsOrigin: value]), environment: [:])
        }
        #expect(error?.message.hasPrefix("--cors-origin: invalid value") == true)
    }
}
