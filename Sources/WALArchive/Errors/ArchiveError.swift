import WriteAheadLog

/// The one error type of the `WALArchive` layer.
///
/// `code` is for programs to match on; `key` names the archive object
/// involved (so `verify` can say which object is bad), `path` the local file,
/// `operation` the store request that failed (an S3 API name such as
/// `PutObject`), and ``description`` reads as one sentence an operator can
/// act on.
public struct ArchiveError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable, Equatable {
        /// A conditional write lost: the object exists (create) or changed (replace).
        case preconditionFailed
        /// An object the operation needs is not in the store.
        case notFound
        /// A key, URL or argument the archive cannot accept.
        case invalidArgument
        /// A system call of the file store failed; `errno` says why.
        case io
        /// An object's bytes fail their checksum or framing.
        case corruption
        /// Objects are well formed but do not form one chain: a gap, a
        /// reordering, an object of another archive, or one the head never
        /// acknowledged.
        case brokenChain
        /// The local log and the archive disagree (the log is behind the
        /// archive, or was truncated before its records were archived).
        case diverged
        /// A follower is too far behind: retention deleted pieces it still
        /// needs. It starts again from the newest snapshot.
        case fellBehind
        /// Another writer holds the archive's lease; take over only when it is gone for good.
        case leased
        /// This writer's lease was taken over by another at a higher epoch:
        /// it must stop writing the archive.
        case fenced
        /// The object store refused the credentials or the request's
        /// permissions (HTTP 403, S3 `AccessDenied`, `InvalidAccessKeyId`,
        /// `SignatureDoesNotMatch`, ...).
        case accessDenied
        /// The bucket does not exist (S3 `NoSuchBucket`).
        case noSuchBucket
        /// The store refused the request because this machine's clock is too
        /// far from its own (S3 `RequestTimeTooSkewed`); the message gives both times.
        case clockSkew
        /// The store could not be reached (connection refused or reset, DNS,
        /// TLS, timeouts) even after retrying; the message names the endpoint.
        case unreachable
        /// Another error the store reported; `serviceCode` and `httpStatus`
        /// carry what it said.
        case server
        /// No credentials were configured; the message names the variables.
        case missingCredentials
    }

    public var code: Code
    /// What went wrong, in words.
    public var message: String
    /// The archive object involved.
    public var key: String?
    /// The local file or directory involved.
    public var path: String?
    /// The `errno` of a failed system call.
    public var errno: Int32?
    /// The store request that failed, as the S3 API names it (`PutObject`, `ListObjectsV2`, ...).
    public var operation: String?
    /// The HTTP status of the store's answer, when it answered.
    public var httpStatus: Int?
    /// The store's own error code (S3's `<Code>`, such as `SlowDown`).
    public var serviceCode: String?

    public init(
        _ code: Code, _ message: String, key: String? = nil, path: String? = nil, errno: Int32? = nil,
        operation: String? = nil, httpStatus: Int? = nil, serviceCode: String? = nil
    ) {
        self.code = code
        self.message = message
        self.key = key
        self.path = path
        self.errno = errno
        self.operation = operation
        self.httpStatus = httpStatus
        self.serviceCode = serviceCode
    }

    public var description: String {
        var text = message
        if let key { text += " (object \(key))" }
        if let path { text += " (file \(path))" }
        if let errno { text += " [errno \(errno)]" }
        if operation != nil || httpStatus != nil || serviceCode != nil {
            let parts = [operation, httpStatus.map { "HTTP \($0)" }, serviceCode].compactMap { $0 }
            text += " [\(parts.joined(separator: ", "))]"
        }
        return text
    }
}
