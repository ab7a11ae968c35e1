import Foundation

/// An ``ArchiveStore`` over one bucket of S3 or an S3-compatible server
/// (MinIO, moto, ...), speaking the S3 REST API with SigV4-signed requests.
///
/// - Versions are ETags in double quotes, as S3 sends them, the same from
///   put, head, get and list, so any of them works in `.ifMatches`.
/// - Conditional writes are S3's own: `If-None-Match: *` for `.ifAbsent`,
///   `If-Match: <etag>` for `.ifMatches`, checked atomically by the server.
/// - Objects above ``S3Configuration/multipartThreshold`` go up as a
///   multipart upload (aborted on any failure). A replace-if-match of such
///   an object goes up as one PUT instead (up to 5 GiB), because not every
///   S3-compatible server checks `If-Match` on CompleteMultipartUpload
///   (moto does not); `If-None-Match` is checked on both.
/// - Failures that may pass (lost connections, timeouts, 5xx, 429,
///   `SlowDown`) are retried with backoff (``S3RetryPolicy``). A retried
///   conditional write whose condition then fails reads the object back:
///   if it holds exactly our bytes, the earlier attempt succeeded and only
///   its answer was lost, so the write counts as done.
///
/// The store addresses the whole bucket; an archive's prefix is the
/// Archiver's (``ArchiverOptions/prefix``).
public struct S3ArchiveStore: ArchiveStore {
    public let bucket: String
    public let configuration: S3Configuration
    let transport: any S3Transport
    let hooks: S3StoreHooks

    /// A store over `bucket`, through AsyncHTTPClient's shared client.
    ///
    /// - Throws: ``ArchiveError`` `.invalidArgument` for a bucket name S3
    ///   does not allow, or sizes, retries or a timeout it cannot work with.
    public init(bucket: String, configuration: S3Configuration) throws {
        try self.init(bucket: bucket, configuration: configuration, transport: AsyncHTTPClientTransport(), hooks: .live)
    }

    /// A store whose HTTP exchanges, clock and waits are the given ones (tests).
    package init(bucket: String, configuration: S3Configuration, transport: any S3Transport, hooks: S3StoreHooks = .live) throws {
        try ArchiveLocation.validate(bucket: bucket, url: "s3://\(bucket)")
        try configuration.validate()
        self.bucket = bucket
        self.configuration = configuration
        self.transport = transport
        self.hooks = hooks
    }

    public func put(_ key: String, _ bytes: [UInt8], condition: WriteCondition) async throws -> ObjectVersion {
        try Self.validate(key: key, operation: "PutObject")
        if bytes.count > configuration.multipartThreshold {
            guard case .ifMatches = condition else {
                return try await putMultipart(key, bytes, condition: condition)
            }
            guard bytes.count <= S3Configuration.maximumSinglePutSize else {
                throw ArchiveError(
                    .invalidArgument,
                    "a replace-if-match of an object above 5 GiB is refused: it would need a multipart upload, "
                        + "whose If-Match not every S3-compatible server checks", key: key, operation: "PutObject")
            }
        }
        return try await putSingle(key, bytes, condition: condition)
    }

    public func get(_ key: String) async throws -> StoredObject? {
        try Self.validate(key: key, operation: "GetObject")
        let call = S3Call("GetObject", "GET", key: key)
        let exchange = try await perform(call)
        if exchange.succeeded {
            let etag = exchange.response.header("ETag").map(S3ETag.normalized) ?? S3ETag.singlePart(exchange.response.body)
            let bytes = exchange.response.body
            return StoredObject(info: ObjectInfo(key: key, size: bytes.count, version: ObjectVersion(etag: etag)), bytes: bytes)
        }
        if exchange.status == 404 && (exchange.code == nil || exchange.code == "NoSuchKey") { return nil }
        throw failure(of: call, exchange)
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        try Self.validate(key: key, operation: "HeadObject")
        let call = S3Call("HeadObject", "HEAD", key: key)
        let exchange = try await perform(call)
        if exchange.succeeded {
            guard let etag = exchange.response.header("ETag"), let size = exchange.response.header("Content-Length").flatMap({ Int($0) })
            else {
                throw ArchiveError(
                    .server, "S3 answered HEAD without an ETag or a Content-Length", key: key, operation: call.operation,
                    httpStatus: exchange.status)
            }
            return ObjectInfo(key: key, size: size, version: ObjectVersion(etag: S3ETag.normalized(etag)))
        }
        // A HEAD answer has no body: a 404 is a missing key (or bucket; the
        // next write names which).
        if exchange.status == 404 && (exchange.code == nil || exchange.code == "NoSuchKey") { return nil }
        throw failure(of: call, exchange)
    }

    public func list(prefix: String, after: String?, limit: Int) async throws -> ListPage {
        guard limit > 0 else {
            throw ArchiveError(.invalidArgument, "a listing needs a positive page size", key: prefix, operation: "ListObjectsV2")
        }
        var query: [(name: String, value: String)] = [("list-type", "2"), ("max-keys", String(min(limit, 1000)))]
        if !prefix.isEmpty { query.append(("prefix", prefix)) }
        if let after { query.append(("start-after", after)) }
        let call = S3Call("ListObjectsV2", "GET", key: nil, query: query, subject: prefix)
        let exchange = try await perform(call)
        guard exchange.succeeded else { throw failure(of: call, exchange) }
        let result = try S3ListBucketResult(parsing: exchange.response.body, call: call)
        let continuation = result.isTruncated ? result.objects.last?.key : nil
        return ListPage(objects: result.objects, continuation: continuation)
    }

    public func delete(_ key: String) async throws {
        try Self.validate(key: key, operation: "DeleteObject")
        let call = S3Call("DeleteObject", "DELETE", key: key)
        let exchange = try await perform(call)
        if exchange.succeeded || (exchange.status == 404 && exchange.code == "NoSuchKey") { return }
        throw failure(of: call, exchange)
    }

    /// Creates the bucket (in the configured region); one that exists and
    /// is ours already counts as created.
    public func createBucket() async throws {
        var body: [UInt8] = []
        if configuration.region != "us-east-1" {
            body = Array(
                ("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>"
                    + S3XML.escape(configuration.region) + "</LocationConstraint></CreateBucketConfiguration>").utf8)
        }
        let call = S3Call("CreateBucket", "PUT", key: nil, body: body, subject: bucket)
        let exchange = try await perform(call)
        if exchange.succeeded || exchange.code == "BucketAlreadyOwnedByYou" { return }
        throw failure(of: call, exchange)
    }

    // MARK: - Single-part put

    /// One PutObject with the condition as a header; a retried write whose
    /// condition then fails is ours if the object holds exactly our bytes.
    func putSingle(_ key: String, _ bytes: [UInt8], condition: WriteCondition) async throws -> ObjectVersion {
        var headers: [(name: String, value: String)] = []
        switch condition {
        case .unconditional: break
        case .ifAbsent: headers.append(("if-none-match", "*"))
        case .ifMatches(let version): headers.append(("if-match", version.etag))
        }
        let call = S3Call("PutObject", "PUT", key: key, headers: headers, body: bytes)
        let exchange = try await perform(call)
        let ours = S3ETag.singlePart(bytes)
        if exchange.succeeded {
            return ObjectVersion(etag: exchange.response.header("ETag").map(S3ETag.normalized) ?? ours)
        }
        if condition != .unconditional, exchange.earlierAttemptMayHaveApplied, Self.conditionFailed(exchange),
            let current = try await head(key), current.version.etag == ours
        {
            return current.version
        }
        if case .ifMatches = condition, exchange.status == 404, exchange.code == "NoSuchKey" {
            // S3 answers If-Match on a missing key with 404.
            throw ArchiveError(
                .preconditionFailed, "no object to replace under this key", key: key, operation: call.operation,
                httpStatus: exchange.status, serviceCode: exchange.code)
        }
        throw failure(of: call, exchange)
    }

    /// 412, or S3's 409 for a conditional write that raced another.
    static func conditionFailed(_ exchange: S3Exchange) -> Bool {
        exchange.status == 412 || (exchange.status == 409 && exchange.code == "ConditionalRequestConflict")
    }

    /// Keys S3 stores and every HTTP stack passes through unchanged: 1 to
    /// 1024 bytes of UTF-8, and no `.` or `..` component (which clients and
    /// proxies may resolve away before the request reaches S3).
    static func validate(key: String, operation: String) throws {
        guard !key.isEmpty, key.utf8.count <= 1024 else {
            throw ArchiveError(.invalidArgument, "an S3 object key is 1 to 1024 bytes of UTF-8", key: key, operation: operation)
        }
        if key.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == "." || $0 == ".." }) {
            throw ArchiveError(
                .invalidArgument, "an S3 object key has no '.' or '..' component (HTTP clients may rewrite them)", key: key,
                operation: operation)
        }
    }
}
