import Hummingbird
import Logging

/// Turns every error a handler throws into the JSON error body, so no
/// failure reaches the client as an empty 500 or a stack trace.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let failure = GraphServerError.from(error)
            switch failure.code {
            case .internal:
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            case .unauthorized:
                // Failed bearer tokens, for whoever watches for guessing.
                context.logger.info("request refused", metadata: ["path": "\(request.uri.path.prefix(200))", "error": "\(failure.message)"])
            case .poisoned:
                context.logger.warning("request refused", metadata: ["path": "\(request.uri.path)", "error": "\(failure.message)"])
            default:
                break
            }
            return .error(failure)
        }
    }
}
