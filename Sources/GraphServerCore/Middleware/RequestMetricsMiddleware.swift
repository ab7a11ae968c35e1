import Hummingbird
import Metrics

/// Counts requests by route, method and status, and times them.
///
/// The route is the matched template (`/nodes/{id}`), never the raw path,
/// so the number of series stays bounded whatever clients send.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            // The error middleware sits inside this one, so this is rare.
            record(request, context, status: GraphServerError.from(error).status.code, started: started)
            throw error
        }
        record(request, context, status: response.status.code, started: started)
        return response
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    private func record(_ request: Request, _ context: Context, status: Int, started: ContinuousClock.Instant) {
        let route = context.endpointPath.map { $0.replacingOccurrences(of: ":id", with: "{id}") } ?? "unmatched"
        let method = request.method.rawValue
        Counter(label: "http_requests_total", dimensions: [("route", route), ("method", method), ("status", String(status))])
            .increment()
        Metrics.Timer(label: "http_request_duration_seconds", dimensions: [("route", route), ("method", method)])
            .recordNanoseconds(Self.nanoseconds(ContinuousClock.now - started))
    }
}
