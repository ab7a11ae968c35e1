/// A failure `walctl` reports as one line on stderr and an exit code.
///
/// Commands throw this instead of printing and exiting themselves, so the
/// one place that turns errors into output (``Walctl/main()``) decides how
/// they look, and no error ever ends in a stack trace.
struct WalctlFailure: Error, CustomStringConvertible {
    var status: ExitStatus
    /// One sentence: what went wrong and, where it helps, what to do next.
    var message: String

    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    var description: String { message }
}
