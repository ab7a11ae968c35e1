import Foundation
import GraphServerCore
import Testing
import WALTestSupport

/// docs/openapi.json against the real server: the same routes, served as
/// is, and every example request answered as documented.
@Suite("OpenAPI document")
struct OpenAPITests {
    static let documentPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("docs/openapi.json").path

    static func document() throws -> JSONValue {
        try JSONParser.parse(try String(contentsOfFile: documentPath, encoding: .utf8))
    }

    /// `{"$ref": "#/components/..."}` replaced by what it points at.
    static func resolve(_ value: JSONValue?, in document: JSONValue) -> JSONValue? {
        guard case .string(let reference)? = value?["$ref"], reference.hasPrefix("#/") else { return value }
        var target: JSONValue? = document
        for part in reference.dropFirst(2).split(separator: "/") { target = target?[String(part)] }
        return resolve(target, in: document)
    }

    /// Every method and path of the document, as `GET /nodes/{id}`.
    static func operations(_ document: JSONValue) -> [(method: String, path: String, operation: JSONValue)] {
        guard case .object(let paths)? = document["paths"] else { return [] }
        return paths.members.flatMap { path, item -> [(method: String, path: String, operation: JSONValue)] in
            guard case .object(let methods) = item else { return [] }
            return methods.members.map { (method: $0.key.uppercased(), path: path, operation: $0.value) }
        }
    }

    @Test("the router's routes and the document's operations are the same set")
    func sameRoutes() throws {
        let server = try TestServer.make()
        defer { try? server.database.close() }
        let registered = Set(server.server.router().routes.map { route in
            let path = "\(route.path)"
            return "\(route.method) " + (path.hasPrefix("/") ? path : "/" + path)
        })
        let documented = Set(Self.operations(try Self.document()).map { "\($0.method) \($0.path)" })
        #expect(registered.subtracting(documented).isEmpty, "routes missing from docs/openapi.json: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "documented routes the server lacks: \(documented.subtracting(registered).sorted())")
        #expect(registered.count >= 14)
    }

    @Test("every error code the server sends is in the document's Error schema")
    func errorCodes() throws {
        let document = try Self.document()
        let codes = document["components"]?["schemas"]?["Error"]?["properties"]?["error"]?["properties"]?["code"]?["enum"]
        let documented = Set((codes?.array ?? []).compactMap(\.string))
        #expect(documented == Set(GraphServerError.Code.allCases.map(\.rawValue)))
    }

    @Test("GET /openapi.json serves docs/openapi.json byte for byte")
    func served() async throws {
        let file = try String(contentsOfFile: Self.documentPath, encoding: .utf8)
        try await TestServer.make().run { client in
            let response = try await client.get("/openapi.json")
            #expect(response.status == 200)
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(response.text == file, "run scripts/embed-openapi.sh after editing docs/openapi.json")
        }
    }

    @Test("each operation's example request gets a documented 200 whose body has the documented fields")
    func examples() async throws {
        let document = try Self.document()
        // Writes first, so the read examples find node 0; a snapshot is saved before it is loaded.
        let operations = Self.operations(document).sorted { first, second in
            func rank(_ path: String) -> Int { path == "/tx" ? 0 : path == "/admin/snapshot/load" ? 2 : 1 }
            return (rank(first.path), first.path, first.method) < (rank(second.path), second.path, second.method)
        }
        let directory = TemporaryDirectory()
        try await LiveServer.run({ $0.storage = .dataDirectory(directory.child("data")) }) { port throws in
            // Promotion needs a replica: ReplicaTests checks its answer's fields.
            for (method, template, operation) in operations where operation["x-requires"] != "replica" {
                var path = template
                for parameter in operation["parameters"]?.array ?? [] where parameter["in"] == "path" {
                    let example = try #require(parameter["example"]?.int, "\(method) \(template): path parameter without an example")
                    path = path.replacingOccurrences(of: "{\(parameter["name"]?.string ?? "")}", with: "\(example)")
                }
                let example = operation["requestBody"]?["content"]?["application/json"]?["example"]
                let reply = try await LoopbackHTTP.call(
                    port: port, method, path, headers: ["Host: 127.0.0.1", "Content-Type: application/json"],
                    body: example.map { JSONWriter.string($0) })
                #expect(reply.status == 200, "\(method) \(path): \(reply.status) \(reply.body)")
                let documented = Self.resolve(operation["responses"]?["200"], in: document)
                let contentType = (reply.header("content-type") ?? "").split(separator: ";").first.map(String.init) ?? ""
                let schema = Self.resolve(documented?["content"]?[contentType]?["schema"], in: document)
                #expect(documented?["content"]?[contentType] != nil, "\(method) \(path): \(contentType) is not documented")
                for field in schema?["required"]?.array ?? [] {
                    let name = try #require(field.string)
                    #expect(try JSONParser.parse(reply.body)[name] != nil, "\(method) \(path): no \(name) in \(reply.body)")
                }
            }
        }
    }
}
