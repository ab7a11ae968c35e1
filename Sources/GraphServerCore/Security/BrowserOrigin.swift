#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Origins and host names as browsers send them, normalised for comparison.
enum BrowserOrigin {
    /// `scheme://host[:port]` in lower case, without a default port or a
    /// trailing slash; nil for anything else (paths, other schemes, `null`).
    static func normalize(_ text: String) -> String? {
        let lowered = text.lowercased()
        let scheme: String
        let defaultPort: String
        if lowered.hasPrefix("http://") {
            (scheme, defaultPort) = ("http", "80")
        } else if lowered.hasPrefix("https://") {
            (scheme, defaultPort) = ("https", "443")
        } else {
            return nil
        }
        var authority = Substring(lowered.dropFirst(scheme.count + 3))
        if authority.hasSuffix("/") { authority = authority.dropLast() }
        guard !authority.isEmpty, !authority.contains(where: { "/?#@ ".contains($0) }),
            let (host, port) = split(authority: String(authority))
        else { return nil }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        guard let port, port != defaultPort else { return "\(scheme)://\(shownHost)" }
        return "\(scheme)://\(shownHost):\(port)"
    }

    /// The host (without brackets or a trailing dot) and the port of a
    /// `Host` header or an origin's authority; nil when it is malformed.
    static func split(authority: String) -> (host: String, port: String?)? {
        var host: Substring
        var port: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                port = rest.dropFirst()
            }
        } else {
            let parts = authority.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return nil }
            host = parts[0]
            port = parts.count == 2 ? parts[1] : nil
        }
        if let port, port.isEmpty || !port.allSatisfy({ $0.isASCII && $0.isNumber }) || port.count > 5 { return nil }
        if host.hasSuffix(".") { host = host.dropLast() }
        guard !host.isEmpty else { return nil }
        return (host.lowercased(), port.map(String.init))
    }

    /// Whether `host` is an IPv4 or IPv6 literal (no brackets). A DNS
    /// rebinding attack needs a name it controls, so literals are safe.
    static func isIPLiteral(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// `localhost` and names under `.localhost`, which resolve to loopback only.
    static func isLoopbackName(_ host: String) -> Bool {
        host == "localhost" || host.hasSuffix(".localhost")
    }
}
