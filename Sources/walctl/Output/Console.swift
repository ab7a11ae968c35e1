#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where `walctl` writes: results to stdout, diagnostics and progress to
/// stderr, so a pipe (`walctl dump DIR | grep ...`) carries only results.
enum Console {
    /// Writes one line of results to stdout.
    static func line(_ text: String = "") {
        print(text)
    }

    /// Writes one line of diagnostics to stderr.
    static func diagnostic(_ text: String) {
        rawDiagnostic(text + "\n")
    }

    /// Writes to stderr without a newline (the progress line redraws itself).
    ///
    /// Straight to the descriptor: stderr is unbuffered anyway, and the C
    /// `stderr` global is shared mutable state Swift 6 will not touch.
    static func rawDiagnostic(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Writes whatever stdout buffered, so results precede a later diagnostic.
    static func flush() {
        // nil flushes every output stream, without naming the `stdout` global.
        fflush(nil)
    }

    /// Whether stderr is a terminal: progress lines are for people watching,
    /// never for a log file or a pipe.
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) != 0 }

    /// Whether stdout is a terminal.
    static var stdoutIsTerminal: Bool { isatty(STDOUT_FILENO) != 0 }
}
