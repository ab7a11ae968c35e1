import Hummingbird

/// Requires `Authorization: Bearer TOKEN` on the routes it guards.
///
/// The comparison takes the same time whatever the first differing byte
/// is, so response timing does not reveal a token one byte at a time.
struct AdminAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]

    init(token: String) { self.token = Array(token.utf8) }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw GraphServerError(.unauthorized, "admin routes need the header Authorization: Bearer <token> (--admin-token)")
        }
        let prefix = "Bearer "
        guard header.hasPrefix(prefix), Self.constantTimeEqual(Array(header.utf8.dropFirst(prefix.utf8.count)), token) else {
            throw GraphServerError(.unauthorized, "the admin token is wrong")
        }
        return try await next(request, context)
    }

    /// Equal bytes, compared in time that depends only on the lengths.
    static func constantTimeEqual(_ given: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference = UInt8(given.count == expected.count ? 0 : 1)
        for index in 0..<expected.count {
            let byte = index < given.count ? given[index] : 0
            difference |= byte ^ expected[index]
        }
        return difference == 0
    }
}
