import Hummingbird
import Logging

/// Turns every error a handler throws into the JSON error body, so no
/// failure reaches the client as an empty 500 or a stack trace.
///
/// An error's ``GraphServerError/detail`` (paths, errno text) goes to the
/// log, and into the body only on the admin routes: a request reaches an
/// admin handler only with admin rights, so only an admin reads it.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The registered routes, to tell a wrong method (405) from an unknown path (404).
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var failure = GraphServerError.from(error)
            var allowed: [String] = []
            if failure.code == .noRoute {
                allowed = routes.methods(for: request.uri.path)
                if !allowed.isEmpty {
                    failure = GraphServerError(
                        .methodNotAllowed, "\(request.method.rawValue) is not allowed here; this path takes \(allowed.joined(separator: ", "))")
                }
            }
            switch failure.code {
            case .internal:
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(failure)"])
            case .unauthorized:
                // Failed bearer tokens, for whoever watches for guessing.
                context.logger.info("request refused", metadata: ["path": "\(request.uri.path.prefix(200))", "error": "\(failure.message)"])
            case .poisoned:
                context.logger.warning("request refused", metadata: ["path": "\(request.uri.path)", "error": "\(failure.fullMessage)"])
            default:
                if failure.detail != nil {
                    context.logger.warning("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(failure.fullMessage)"])
                }
            }
            var response = Response.error(failure, revealingDetail: Self.isAdmin(request.uri.path))
            if !allowed.isEmpty { response.headers[.allow] = allowed.joined(separator: ", ") }
            return response
        }
    }

    /// Whether `path` is an admin route, where the admin token (when one is set) was already checked.
    static func isAdmin(_ path: String) -> Bool { path == "/admin" || path.hasPrefix("/admin/") }
}
