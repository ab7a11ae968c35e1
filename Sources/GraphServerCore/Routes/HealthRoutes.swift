import GraphDatabase
import Hummingbird

/// `GET /health` for load balancers, `GET /metrics` for Prometheus and
/// `GET /openapi.json` for API tooling.
struct HealthRoutes: Sendable {
    let database: GraphDatabase
    let metrics: ServerMetrics?

    /// `/health` stays open for load balancers; `/metrics` and `/openapi.json` are reads.
    func register(open: Router<BasicRequestContext>, reads: RouterGroup<BasicRequestContext>) {
        open.get("health") { _, _ in health() }
        reads.get("metrics") { _, _ in try await exposition() }
        reads.get("openapi.json") { request, _ in
            _ = try QueryReader(request, allowed: [])
            return Self.openAPI
        }
    }

    /// docs/openapi.json, byte for byte (the literal drops the file's final line break).
    static var openAPI: Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.text + "\n")))
    }

    func health() -> Response {
        // Open to anyone (load balancers): the failure's paths and errno text
        // stay in the log and POST /admin/wal/status.
        if database.failure != nil {
            let error = GraphServerError(.poisoned, GraphServerError.poisonedSummary)
            return .json(["status": "poisoned", "error": error.json["error"] ?? .null], status: .serviceUnavailable)
        }
        return .json(["status": "ok"])
    }

    func exposition() async throws -> Response {
        guard let metrics else {
            throw GraphServerError(.unavailable, "metrics are not enabled in this server")
        }
        // Sampling the log's status sizes its segment files: off the cooperative pool.
        let database = database
        try await Blocking.run { metrics.observe(database) }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.render())))
    }
}

extension JSONValue {
    /// The member `key` of an object; nil for anything else.
    subscript(key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }
}
