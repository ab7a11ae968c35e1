import GraphDatabase
import Hummingbird

/// `GET /health` for load balancers and `GET /metrics` for Prometheus.
struct HealthRoutes: Sendable {
    let database: GraphDatabase
    let metrics: ServerMetrics?

    /// `/health` stays open for load balancers; `/metrics` is a read.
    func register(open: Router<BasicRequestContext>, reads: RouterGroup<BasicRequestContext>) {
        open.get("health") { _, _ in health() }
        reads.get("metrics") { _, _ in try await exposition() }
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
