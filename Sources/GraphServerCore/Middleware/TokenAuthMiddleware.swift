import Hummingbird

/// Requires `Authorization: Bearer TOKEN` with one of the accepted tokens
/// on the routes it guards.
///
/// The scheme is matched without regard to case (`bearer` and `BEARER` are
/// `Bearer`, as RFC 9110 says). Every accepted token is compared, each in
/// time that depends only on the lengths, so response timing reveals
/// neither a token's bytes nor which token matched.
struct TokenAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: [[UInt8]]
    /// What the token is for and its flags, for the messages: `"the write token (--write-token)"`.
    let what: String

    init(tokens: [String], what: String) {
        self.tokens = tokens.map { Array($0.utf8) }
        self.what = what
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw GraphServerError(.unauthorized, "this route needs the header Authorization: Bearer <token> with \(what)")
        }
        guard let given = Self.bearerToken(header) else {
            throw GraphServerError(.unauthorized, "the Authorization header must be Bearer <token>")
        }
        var matched = false
        for token in tokens where Self.constantTimeEqual(given, token) { matched = true }
        guard matched else { throw GraphServerError(.unauthorized, "the bearer token is wrong for this route") }
        return try await next(request, context)
    }

    /// The token of a `Bearer` credential, the scheme in any case; nil for
    /// another scheme or an empty token.
    static func bearerToken(_ header: String) -> [UInt8]? {
        let bytes = Array(header.utf8)
        let scheme = Array("bearer".utf8)
        guard bytes.count > scheme.count, zip(bytes, scheme).allSatisfy({ ($0 | 0x20) == $1 }) else { return nil }
        let rest = bytes[scheme.count...]
        guard let first = rest.first, first == 0x20 || first == 0x09 else { return nil }
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        let token = rest.drop(while: isSpace).reversed().drop(while: isSpace).reversed()
        return token.isEmpty ? nil : Array(token)
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
