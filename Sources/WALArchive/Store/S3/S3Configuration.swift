import Foundation

/// Everything an ``S3ArchiveStore`` needs besides its bucket: credentials,
/// region, endpoint, addressing, multipart sizes, retries and timeouts.
///
/// ``init(environment:)`` reads the variables the AWS CLI and SDKs read, so
/// an operator configures the archive the way they configure any other AWS
/// tool; the memberwise ``init(credentials:sessionToken:region:endpoint:addressing:multipartThreshold:partSize:retry:requestTimeout:)``
/// serves programs that configure themselves.
public struct S3Configuration: Sendable, Equatable {
    /// The smallest part S3 accepts, except the last: 5 MiB.
    public static let minimumPartSize = 5 * 1024 * 1024
    /// The most parts of one upload S3 accepts.
    public static let maximumParts = 10_000
    /// The largest object a single PUT may store: 5 GiB.
    public static let maximumSinglePutSize = 5 * 1024 * 1024 * 1024

    public var credentials: SigV4Credentials
    /// The token of temporary credentials (`AWS_SESSION_TOKEN`), sent as
    /// `x-amz-security-token` and signed.
    public var sessionToken: String?
    public var region: String
    public var endpoint: S3Endpoint
    public var addressing: S3AddressingStyle
    /// Objects larger than this go up as a multipart upload. Default 16 MiB.
    public var multipartThreshold: Int
    /// The size of each part but the last; at least 5 MiB. Default 8 MiB.
    /// Grown when an object would need more than 10,000 parts.
    public var partSize: Int
    public var retry: S3RetryPolicy
    /// The most one request may take, connecting, sending and reading the
    /// whole answer. Default 30 s.
    public var requestTimeout: Duration

    /// - Parameter endpoint: `nil` for AWS's endpoint of `region`.
    public init(
        credentials: SigV4Credentials, sessionToken: String? = nil, region: String = "us-east-1", endpoint: S3Endpoint? = nil,
        addressing: S3AddressingStyle = .automatic, multipartThreshold: Int = 16 * 1024 * 1024,
        partSize: Int = 8 * 1024 * 1024, retry: S3RetryPolicy = S3RetryPolicy(), requestTimeout: Duration = .seconds(30)
    ) {
        self.credentials = credentials
        self.sessionToken = sessionToken
        self.region = region
        self.endpoint = endpoint ?? .aws(region: region)
        self.addressing = addressing
        self.multipartThreshold = multipartThreshold
        self.partSize = partSize
        self.retry = retry
        self.requestTimeout = requestTimeout
    }

    /// Reads the standard AWS variables: `AWS_ACCESS_KEY_ID`,
    /// `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` (else
    /// `AWS_DEFAULT_REGION`, else `us-east-1`), `AWS_ENDPOINT_URL_S3` (else
    /// `AWS_ENDPOINT_URL`, else AWS's endpoint of the region) and
    /// `AWS_S3_FORCE_PATH_STYLE` (`true` or `false`; unset chooses by endpoint).
    /// An empty variable counts as unset.
    ///
    /// - Throws: ``ArchiveError`` `.missingCredentials` naming the variables
    ///   that are missing; `.invalidArgument` for a malformed endpoint or
    ///   `AWS_S3_FORCE_PATH_STYLE`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        let accessKey = value("AWS_ACCESS_KEY_ID")
        let secret = value("AWS_SECRET_ACCESS_KEY")
        guard let accessKey, let secret else {
            let missing = [("AWS_ACCESS_KEY_ID", accessKey), ("AWS_SECRET_ACCESS_KEY", secret)].filter { $0.1 == nil }.map(\.0)
            throw ArchiveError(
                .missingCredentials,
                "an S3 archive needs credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary ones); "
                    + "not set: \(missing.joined(separator: ", "))")
        }
        let region = value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? "us-east-1"
        var endpoint: S3Endpoint?
        if let url = value("AWS_ENDPOINT_URL_S3") ?? value("AWS_ENDPOINT_URL") {
            endpoint = try S3Endpoint(url: url)
        }
        var addressing = S3AddressingStyle.automatic
        if let force = value("AWS_S3_FORCE_PATH_STYLE") {
            switch force.lowercased() {
            case "true", "1", "yes": addressing = .path
            case "false", "0", "no": addressing = .virtualHost
            default:
                throw ArchiveError(.invalidArgument, "AWS_S3_FORCE_PATH_STYLE is true or false (got '\(force)')")
            }
        }
        self.init(
            credentials: SigV4Credentials(accessKeyID: accessKey, secretAccessKey: secret), sessionToken: value("AWS_SESSION_TOKEN"),
            region: region, endpoint: endpoint, addressing: addressing)
    }

    /// Whether requests for `bucket` name it in the host.
    func usesVirtualHost(for bucket: String) -> Bool {
        switch addressing {
        case .path: return false
        case .virtualHost: return true
        case .automatic: return endpoint.isAWS && !bucket.contains(".")
        }
    }

    /// The part size for an object of `size` bytes: the configured one,
    /// grown (in whole MiB) when the object would need more than 10,000 parts.
    func partSize(forObjectOf size: Int) -> Int {
        let mebibyte = 1024 * 1024
        let needed = (size + Self.maximumParts - 1) / Self.maximumParts
        guard needed > partSize else { return partSize }
        return (needed + mebibyte - 1) / mebibyte * mebibyte
    }

    /// Refuses sizes S3 would refuse later, mid-upload.
    func validate() throws {
        guard partSize >= Self.minimumPartSize else {
            throw ArchiveError(.invalidArgument, "an S3 multipart part is at least 5 MiB (configured \(partSize) bytes)")
        }
        guard multipartThreshold >= 1 else {
            throw ArchiveError(.invalidArgument, "the S3 multipart threshold is positive (configured \(multipartThreshold))")
        }
        guard retry.attempts >= 1 else {
            throw ArchiveError(.invalidArgument, "S3 requests are tried at least once (configured \(retry.attempts) attempts)")
        }
        guard requestTimeout > .zero else {
            throw ArchiveError(.invalidArgument, "the S3 request timeout is positive (configured \(requestTimeout))")
        }
    }
}
