import Hummingbird
import Synchronization

/// The method and path template of every registered route, so that a
/// request for a known path with another method is answered 405 with
/// `Allow` instead of 404 (RFC 9110, section 15.5.6).
///
/// Filled once, after the routes are registered (the middleware that
/// reads it is added before them); read by every unmatched request.
final class RouteTable: Sendable {
    /// Path templates split into components (`["nodes", "{id}"]`) with their methods.
    private let routes = Mutex<[(components: [Substring], method: HTTPRequest.Method)]>([])

    func record(_ descriptions: [Router<BasicRequestContext>.RouteDescription]) {
        let entries = descriptions.map { (components: "\($0.path)".split(separator: "/"), method: $0.method) }
        routes.withLock { $0 = entries }
    }

    /// The methods the routes matching `path` take, sorted; empty when no route has this path.
    func methods(for path: String) -> [String] {
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        let methods = routes.withLock { routes in
            routes.filter { Self.matches($0.components, components) }.map(\.method.rawValue)
        }
        return Set(methods).sorted()
    }

    private static func matches(_ template: [Substring], _ components: [Substring]) -> Bool {
        guard template.count == components.count else { return false }
        return zip(template, components).allSatisfy { part, component in
            (part.hasPrefix("{") && part.hasSuffix("}")) || part == component
        }
    }
}
