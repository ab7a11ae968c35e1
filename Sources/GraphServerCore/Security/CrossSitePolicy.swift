/// What a request may come from: the rules against DNS rebinding and
/// cross-site requests from browsers.
///
/// - The `Host` header must name this server: a loopback name
///   (`localhost`, `*.localhost`), an IP literal, the `--host` it binds, or a
///   name the operator allows (`--allowed-host`). A DNS rebinding page
///   reaches the server under a name of its own, so refusing unknown names
///   keeps it out; an IP literal cannot be rebound.
/// - An `Origin` must be the server's own origin, or one allowed with
///   `--cors-origin`. Without an `Origin`, a `Sec-Fetch-Site` of
///   `cross-site` or `same-site` is refused too. curl and scripts send
///   neither header, so they are unaffected.
struct CrossSitePolicy: Sendable {
    /// How a request's origin was judged.
    enum Verdict: Equatable {
        /// Not a cross-site request: no `Origin`, or the server's own.
        case sameOrigin
        /// A cross-site request from an origin allowed with `--cors-origin`.
        case allowedOrigin(String)
    }

    let boundHost: String
    let allowedHosts: Set<String>
    let corsOrigins: Set<String>
    let scheme: String

    init(configuration: ServerConfiguration) {
        boundHost = BrowserOrigin.split(authority: configuration.host)?.host ?? configuration.host.lowercased()
        allowedHosts = Set(configuration.allowedHosts.compactMap { BrowserOrigin.split(authority: $0)?.host })
        corsOrigins = Set(configuration.corsOrigins)
        scheme = configuration.tls == nil ? "http" : "https"
    }

    /// Refuses a `Host` header that names another server. A request without
    /// one (HTTP/1.0) is let through: every browser sends it.
    func checkHost(_ authority: String?) throws(GraphServerError) {
        guard let authority else { return }
        guard let (host, _) = BrowserOrigin.split(authority: authority) else {
            throw GraphServerError(.forbidden, "the Host header \"\(authority)\" is malformed")
        }
        if BrowserOrigin.isLoopbackName(host) || BrowserOrigin.isIPLiteral(host) || host == boundHost || allowedHosts.contains(host) {
            return
        }
        throw GraphServerError(
            .forbidden,
            "the Host header names \"\(host)\", which is not this server; start it with --allowed-host \(host) to serve that name")
    }

    /// Judges the `Origin` and `Sec-Fetch-Site` headers of a request that
    /// arrived under `authority`.
    func verdict(origin: String?, fetchSite: String?, authority: String?) throws(GraphServerError) -> Verdict {
        if let origin {
            guard let normalized = BrowserOrigin.normalize(origin) else {
                throw GraphServerError(
                    .forbidden, "cross-site request refused: the Origin \"\(origin)\" is not an origin this server accepts")
            }
            if let authority, normalized == BrowserOrigin.normalize("\(scheme)://\(authority)") { return .sameOrigin }
            if corsOrigins.contains(normalized) { return .allowedOrigin(normalized) }
            throw GraphServerError(
                .forbidden,
                "cross-site request refused: the Origin \(normalized) is not this server's; start the server with --cors-origin \(normalized) to allow a browser app there")
        }
        switch fetchSite?.lowercased() {
        case "cross-site", "same-site":
            throw GraphServerError(
                .forbidden,
                "cross-site request refused (Sec-Fetch-Site: \(fetchSite ?? "")); a browser app on another origin needs --cors-origin")
        default:
            return .sameOrigin
        }
    }
}
