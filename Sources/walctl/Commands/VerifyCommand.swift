import ArgumentParser

/// `walctl verify DIR`: is this log sound, and if not, exactly where not.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every segment, record and structural rule; exit 0 clean, 1 torn tail, 2 damaged.",
        discussion: """
            Checks segment headers, record framing and CRC-32C checksums, strictly increasing LSNs \
            and base LSNs, the transaction rules (no record without its begin, no duplicate begin, \
            checkpoints neither ahead nor going back), and that no segment is missing from the \
            middle. Each problem is named with its file, offset and LSN. Replay stops at the first \
            damage, so a run names the first one, then where the valid data ends and what \
            `walctl repair --salvage` would set aside. Reads without the lock; writes nothing.

            Example:
              walctl verify /var/lib/graph/wal || echo "exit $?"

            Exit codes: 0 clean, 1 torn tail only (what a crash leaves; the next open or \
            `walctl repair` cuts it), 2 corruption or structural error, 4 I/O error, 64 bad \
            arguments, 66 no such log directory.
            """)

    @OptionGroup var directory: LogDirectoryArgument

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func run() throws {
        let verification = try Verification(try directory.check())
        if json {
            Console.line(verification.json.pretty)
        } else {
            verification.lines.forEach { Console.line($0) }
        }
        let status = verification.status
        if status != .success { throw status.exitCode }
    }
}
