import GraphDatabase
import Hummingbird

/// `GET /health` for load balancers, `GET /metrics` for Prometheus and
/// `GET /openapi.json` for API tooling.
struct HealthRoutes: Sendable {
    let slot: DatabaseSlot
    /// Read from the slot at each use: a promotion replaces it.
    var database: GraphDatabase { slot.database }
    let metrics: ServerMetrics?
    var archive: ServerArchive? { slot.archive }
    /// Decides who sees the archive's figures in `/health`: those the admin routes accept.
    let adminToken: String?

    /// `/health` stays open for load balancers; `/metrics` and `/openapi.json` are reads.
    func register(open: Router<BasicRequestContext>, reads: RouterGroup<BasicRequestContext>) {
        open.get("health") { request, _ in health(request) }
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

    /// 503 `poisoned` when the log failed (writes are refused), 503
    /// `starting` while a replica has not restored its starting point;
    /// else 200, `ok`, or `degraded` when the archive, or the replica
    /// following it, lags or fails beyond `--archive-max-lag`: the server
    /// still serves, so a load balancer keeps it, while the body tells
    /// monitoring.
    func health(_ request: Request) -> Response {
        let database = database
        let admin = isAdmin(request)
        let archive = archive.map { archive in
            let health = archive.health(localLSN: database.writtenLSN)
            return (health, health.json(revealingDetail: admin, url: archive.settings.location.url))
        }
        let replica = slot.replica.map { replica in
            let (status, health) = (replica.status, replica.health())
            return (status, health, status.json(health: health, revealingDetail: admin, url: replica.settings.location.url))
        }
        func body(_ status: String, _ error: JSONValue? = nil) -> JSONValue {
            var object = JSONObject([("status", .string(status))])
            object["error"] = error
            object["archive"] = archive?.1
            object["replica"] = replica?.2
            return .object(object)
        }
        // Open to anyone (load balancers): the failure's paths and errno text
        // stay in the log and POST /admin/wal/status.
        if database.failure != nil {
            let error = GraphServerError(.poisoned, GraphServerError.poisonedSummary)
            return .json(body("poisoned", error.json["error"] ?? .null), status: .serviceUnavailable)
        }
        if let replica, !replica.0.isReady {
            return .json(body("starting"), status: .serviceUnavailable)
        }
        let degraded = (archive.map { $0.0.state != .ok } ?? false) || (replica.map { $0.0.isDegraded($0.1) } ?? false)
        return .json(body(degraded ? "degraded" : "ok"))
    }

    /// Whether the admin routes would accept this request: it carries the
    /// admin token, or none is configured (then they are open to all).
    private func isAdmin(_ request: Request) -> Bool {
        guard let adminToken else { return true }
        guard let header = request.headers[.authorization],
            let given = TokenAuthMiddleware<BasicRequestContext>.bearerToken(header)
        else { return false }
        return TokenAuthMiddleware<BasicRequestContext>.constantTimeEqual(given, Array(adminToken.utf8))
    }

    func exposition() async throws -> Response {
        guard let metrics else {
            throw GraphServerError(.unavailable, "metrics are not enabled in this server")
        }
        // Sampling the log's status sizes its segment files: off the cooperative pool.
        let database = database
        let archive = archive
        let replica = slot.replica
        try await Blocking.run { metrics.observe(database, archive: archive, replica: replica) }
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
