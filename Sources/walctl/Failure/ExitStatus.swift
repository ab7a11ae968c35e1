import ArgumentParser

/// The exit codes of `walctl`, one meaning each, so scripts can branch on
/// them. docs/WALCTL.md and every command's help list the same table.
enum ExitStatus: Int32, CaseIterable {
    /// The command did what was asked; `verify` found the log clean.
    case success = 0
    /// `verify` found only a torn tail: what a crash mid-write leaves, cut
    /// off by the next open or by `walctl repair`.
    case tornTail = 1
    /// Corruption or a structural error: damage a plain open refuses. Also a
    /// snapshot whose header or body fails its checks.
    case damaged = 2
    /// A live process holds the directory lock, so `repair` and `truncate`
    /// refused to touch the log.
    case locked = 3
    /// An I/O error, or a library refusal that is neither damage nor a lock.
    case failed = 4
    /// Bad arguments (ArgumentParser's own code, `EX_USAGE`).
    case usage = 64
    /// The directory or file to read does not exist, is not what it should
    /// be, or holds no segments (`EX_NOINPUT`).
    case noInput = 66

    /// The code as ArgumentParser's `ExitCode`.
    var exitCode: ExitCode { ExitCode(rawValue) }

    /// The table printed at the end of the root help and of each command's help.
    static let helpTable = """
        Exit codes:
          0   success (verify: the log is clean)
          1   verify: torn tail only (what a crash leaves; repair cuts it)
          2   corruption or structural error (a bad snapshot for snapshot inspect)
          3   a live process holds the directory lock (repair, truncate)
          4   I/O error or other failure
          64  bad arguments
          66  no such directory or file, unreadable, or no segments in it
        """
}
