#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The one error type of the `WriteAheadLog` layer.
///
/// A `code` says what kind of failure it was, for programs to match on; the
/// context fields say where, for the operator: which operation, which file,
/// which byte offset, which LSN and, for system calls, which `errno`.
/// ``description`` reads as one sentence an operator can act on.
public struct WALError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is.
    public enum Code: String, Sendable, Equatable {
        /// Another live handle (in this process or another) holds the directory lock.
        case alreadyOpen
        /// An earlier write or fsync failed; the log refuses further writes until reopened.
        case poisoned
        /// The handle was closed.
        case closed
        /// A system call failed; `errno` says why.
        case io
        /// Bytes on disk fail their checksum or framing where a torn tail is not a possible explanation.
        case corruption
        /// Records are well formed but break a rule of the log (LSN order, transaction structure).
        case structural
        /// A record or event is larger than the format allows.
        case tooLarge
        /// A caller passed something the log cannot accept.
        case invalidArgument
        /// An event's own decoder rejected its bytes.
        case eventDecoding
        /// An event's own encoder failed.
        case eventEncoding
        /// LSNs or segment ids ran out; the log never wraps.
        case exhausted
    }

    public var code: Code
    /// What went wrong, in words.
    public var message: String
    /// The operation that failed (`open`, `commit`, `fsync`, `replay`, ...).
    public var operation: String?
    /// The file or directory involved.
    public var path: String?
    /// The byte offset inside `path`.
    public var offset: UInt64?
    /// The LSN involved.
    public var lsn: LSN?
    /// The `errno` of a failed system call.
    public var errno: Int32?

    public init(
        _ code: Code,
        _ message: String,
        operation: String? = nil,
        path: String? = nil,
        offset: UInt64? = nil,
        lsn: LSN? = nil,
        errno: Int32? = nil
    ) {
        self.code = code
        self.message = message
        self.operation = operation
        self.path = path
        self.offset = offset
        self.lsn = lsn
        self.errno = errno
    }

    /// The text of `errno`, as `strerror` gives it.
    public var errnoText: String? {
        errno.map(WriteAheadLog.errnoText)
    }

    public var description: String {
        var text = "WAL \(code.rawValue)"
        if let operation { text += " during \(operation)" }
        if let path { text += " of \(path)" }
        if let offset { text += " at offset \(offset)" }
        if let lsn { text += " (LSN \(lsn.rawValue))" }
        text += ": \(message)"
        if let errnoText { text += ": \(errnoText)" }
        return text
    }

    /// The same error with context filled in where it was missing.
    func with(operation: String? = nil, path: String? = nil, offset: UInt64? = nil, lsn: LSN? = nil) -> WALError {
        var copy = self
        if copy.operation == nil { copy.operation = operation }
        if copy.path == nil { copy.path = path }
        if copy.offset == nil { copy.offset = offset }
        if copy.lsn == nil { copy.lsn = lsn }
        return copy
    }
}
