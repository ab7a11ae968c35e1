import Foundation
import GraphServerCore
import Testing

/// A known path with a method it does not take is 405 with `Allow`, not
/// 404: found by the schemathesis run (docs/SERVER.md).
@Suite("Methods a route does not take")
struct MethodNotAllowedTests {
    @Test(
        "405 with the methods the path takes",
        arguments: [
            ("POST", "/health", "GET"), ("GET", "/tx", "POST"), ("DELETE", "/nodes/3", "GET"), ("TRACE", "/admin/sync", "POST"),
            ("PUT", "/nodes/3/relationships", "GET"), ("HEAD", "/openapi.json", "GET"),
        ])
    func notAllowed(method: String, path: String, allow: String) async throws {
        try await LiveServer.run { port throws in
            let reply = try await LoopbackHTTP.call(port: port, method, path)
            #expect(reply.status == 405, "\(reply.body)")
            #expect(reply.header("allow") == allow)
            if method != "HEAD" { #expect(reply.errorCode == "method_not_allowed") }
        }
    }

    @Test("an unknown path is still 404 no_route", arguments: ["/nope", "/nodes/3/other", "/admin"])
    func unknownPath(path: String) async throws {
        try await LiveServer.run { port throws in
            let reply = try await LoopbackHTTP.call(port: port, "GET", path)
            #expect(reply.status == 404)
            #expect(reply.errorCode == "no_route")
        }
    }
}
