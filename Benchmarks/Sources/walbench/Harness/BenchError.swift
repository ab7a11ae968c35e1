#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a benchmark could not run: what it was doing and, for a syscall, the errno text.
struct BenchError: Error, CustomStringConvertible {
    var description: String

    init(_ message: String) {
        description = message
    }

    /// A failed syscall: names the call and the path and adds the errno text.
    static func posix(_ operation: String, path: String, errno code: Int32 = errno) -> BenchError {
        BenchError("\(operation) failed for \(path): \(String(cString: strerror(code)))")
    }
}
