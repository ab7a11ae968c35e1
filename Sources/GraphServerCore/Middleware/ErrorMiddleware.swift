import Hummingbird
import Logging

/// Turns every error a handler throws into the JSON error body, so no
/// failure reaches the client as an empty 500 or a stack trace.
///
/// An error's ``GraphServerError/detail`` (paths, errno text) goes to the
/// log, and into the body only on the admin routes: a request reaches an
/// admin handler only with admin rights, so only an admin reads it.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let failure = GraphServerError.from(error)
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
            return .error(failure, revealingDetail: Self.isAdmin(request.uri.path))
        }
    }

    /// Whether `path` is an admin route, where the admin token (when one is set) was already checked.
    static func isAdmin(_ path: String) -> Bool { path == "/admin" || path.hasPrefix("/admin/") }
}
