import WriteAheadLog

/// The one error type of the `WALArchive` layer.
///
/// `code` is for programs to match on; `key` names the archive object
/// involved (so `verify` can say which object is bad), `path` the local file,
/// and ``description`` reads as one sentence an operator can act on.
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
        /// Another writer holds the archive's lease; take over only when it is gone for good.
        case leased
        /// This writer's lease was taken over by another at a higher epoch:
        /// it must stop writing the archive.
        case fenced
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

    public init(_ code: Code, _ message: String, key: String? = nil, path: String? = nil, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.key = key
        self.path = path
        self.errno = errno
    }

    public var description: String {
        var text = message
        if let key { text += " (object \(key))" }
        if let path { text += " (file \(path))" }
        if let errno { text += " [errno \(errno)]" }
        return text
    }
}
