#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writes one line to standard output with a single `write(2)`, for the
/// crash-test child processes: lines of several threads never interleave
/// on the pipe, and nothing sits in a user-space buffer when SIGKILL
/// arrives. Exits with status 3 if standard output is gone.
package func emitLine(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    var done = 0
    while done < bytes.count {
        let count = bytes.withUnsafeBytes { write(1, $0.baseAddress.map { $0 + done }, $0.count - done) }
        if count < 0 {
            if errno == EINTR { continue }
            exit(3)
        }
        done += count
    }
}
