import Foundation

/// Where S3 requests go: a scheme, a host and a port, without a path.
public struct S3Endpoint: Sendable, Equatable, CustomStringConvertible {
    /// `http` or `https`.
    public var scheme: String
    /// A host name or an IP address (IPv6 without brackets).
    public var host: String
    /// The port when it is not the scheme's default.
    public var port: Int?

    /// AWS's regional endpoint, `https://s3.<region>.amazonaws.com`.
    public static func aws(region: String) -> S3Endpoint {
        S3Endpoint(scheme: "https", host: "s3.\(region).amazonaws.com", port: nil)
    }

    public init(scheme: String, host: String, port: Int?) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// Parses `http(s)://host[:port][/]`, as in `AWS_ENDPOINT_URL`.
    ///
    /// - Throws: ``ArchiveError`` `.invalidArgument` for another scheme, a
    ///   missing host, or a path (S3 requests address the endpoint's root).
    public init(url: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw ArchiveError(.invalidArgument, "an S3 endpoint is an http:// or https:// URL with a host (got '\(url)')")
        }
        guard components.path.isEmpty || components.path == "/", components.query == nil, components.user == nil else {
            throw ArchiveError(.invalidArgument, "an S3 endpoint has no path, query or user name (got '\(url)')")
        }
        self.scheme = scheme
        var bare = host
        if bare.hasPrefix("[") && bare.hasSuffix("]") { bare = String(bare.dropFirst().dropLast()) }
        self.host = bare
        let defaultPort = scheme == "https" ? 443 : 80
        self.port = components.port.flatMap { $0 == defaultPort ? nil : $0 }
    }

    /// AWS's own endpoint (any region, either partition's domain), where
    /// virtual-hosted addressing works for every DNS-compatible bucket.
    public var isAWS: Bool {
        let name = host.lowercased()
        return name.hasSuffix(".amazonaws.com") || name.hasSuffix(".amazonaws.com.cn")
    }

    /// `host[:port]` as the `Host` header carries it, for `host` itself or a
    /// name under it (the bucket's virtual host).
    func authority(host: String) -> String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port.map { "\(name):\($0)" } ?? name
    }

    public var description: String { "\(scheme)://\(authority(host: host))" }
}
