import Hummingbird

/// Applies the ``CrossSitePolicy`` to every request, answers CORS
/// preflights for the origins allowed with `--cors-origin`, and adds the
/// CORS headers to their responses.
///
/// It sits outside the routes and the token checks, so a refused request
/// learns nothing about them, and outside the error middleware, so error
/// responses to an allowed origin carry the CORS headers too.
struct CrossSiteMiddleware<Context: RequestContext>: RouterMiddleware {
    let policy: CrossSitePolicy

    /// The request headers a browser app may send across sites.
    static var allowedHeaders: String { "Authorization, Content-Type, Idempotency-Key, If-Match" }

    /// `Sec-Fetch-Site`, which HTTPTypes has no constant for.
    static func fetchSite(_ headers: HTTPFields) -> String? {
        headers.first { $0.name.canonicalName == "sec-fetch-site" }?.value
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await judge(request, context: context, next: next)
        // Browsers must not sniff a JSON answer into a script or style, nor
        // let another site embed it (a <script src> needs no CORS).
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.crossOriginResourcePolicy] = "same-origin"
        return response
    }

    private func judge(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let verdict: CrossSitePolicy.Verdict
        do {
            try policy.checkHost(request.head.authority)
            verdict = try policy.verdict(
                origin: request.headers[.origin], fetchSite: Self.fetchSite(request.headers), authority: request.head.authority)
        } catch {
            // Operators find out here why a browser app or a proxied name is refused.
            context.logger.info(
                "request refused", metadata: ["path": "\(request.uri.path.prefix(200))", "reason": "\(error.message.prefix(300))"])
            return .error(error)
        }
        guard case .allowedOrigin(let origin) = verdict else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowMethods] = "GET, POST"
            headers[.accessControlAllowHeaders] = Self.allowedHeaders
            headers[.accessControlMaxAge] = "600"
            headers[.vary] = "Origin"
            return Response(status: .noContent, headers: headers)
        }
        // The error middleware inside this one has turned failures into responses.
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = origin
        response.headers[.vary] = "Origin"
        response.headers[.accessControlExposeHeaders] = "WWW-Authenticate"
        return response
    }
}
