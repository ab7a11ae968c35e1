import ArgumentParser
import WriteAheadLog

/// `walctl truncate DIR --fence LSN`: drop sealed segments a snapshot covers.
struct TruncateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "truncate",
        abstract: "Delete sealed segments whose whole LSN range is at or below a fence, offline.",
        discussion: """
            Applies the library's rules under the directory lock: only sealed segments whose every \
            LSN is at or below the fence go; the active segment and the one before it are always \
            kept; running it twice changes nothing more. The fence should be the walLSN of a \
            snapshot you keep (see `walctl snapshot inspect`); a fence above the log's highest \
            LSN is refused, and one above the newest checkpoint marker draws a warning. Refuses \
            while a live process holds the lock, and refuses a damaged log (repair it first). \
            Opening the log cuts a torn tail, as any open does; that is printed too.

            Example:
              walctl truncate /var/lib/graph/wal --fence 48210

            Exit codes: 0 done (also when nothing was old enough to delete), 2 the log is damaged \
            (nothing changed), 3 a live process holds the lock (nothing changed), 4 I/O error, 64 bad \
            arguments or a fence above the highest LSN, 66 no such directory, or no segments in it.
            """)

    @OptionGroup var directory: LogDirectoryArgument

    @Option(help: ArgumentHelp("Delete segments whose whole LSN range is at or below this LSN.", valueName: "lsn"))
    var fence: LSNArgument

    func run() throws {
        let log = try directory.check()
        if case .held(let pid) = log.lockHolder {
            throw WalctlFailure(
                .locked,
                "refusing to truncate \(log.path): a live process\(pid.map { " (pid \($0))" } ?? "") holds its lock; use its own admin API, or stop it first (nothing was changed)")
        }
        let report: ReplayReport
        do {
            report = try LogScan(directory: log, label: "checking").run(mode: .strict)
        } catch let error as WALError where error.isDamage {
            throw WalctlFailure(
                .damaged, "refusing to truncate a damaged log: \(error); run `walctl verify`, then `walctl repair` (nothing was changed)")
        }
        let fence = fence.lsn
        guard fence <= report.maxLSN else {
            throw WalctlFailure(
                .usage,
                "fence \(fence) is above the highest LSN in the log (\(report.maxLSN.dash)): no snapshot can be consistent with records that do not exist (nothing was changed)")
        }
        if let checkpoint = report.newestCheckpoint, fence > checkpoint.snapshotLSN {
            Console.diagnostic(
                "walctl: warning: fence \(fence) is above the newest checkpoint's snapshot LSN \(checkpoint.snapshotLSN); make sure a snapshot at or above the fence exists")
        } else if report.newestCheckpoint == nil {
            Console.diagnostic(
                "walctl: warning: the log holds no checkpoint marker; make sure a snapshot at or above fence \(fence) exists")
        }

        let deleted = try WALInspector.truncate(directory: log.path, upTo: fence)
        if let torn = report.tornTail {
            Console.line(
                "opening the log cut the torn tail of \(torn.path) at offset \(torn.offset) (\(torn.fileBytes - torn.offset) bytes)")
        }
        let deletedSet = Set(deleted)
        let after = try LogDirectory(checking: log.path)
        let before = Set(log.segments.map(\.id))
        for segment in after.segments where !before.contains(segment.id) {
            Console.line("opening the log started \(segment.path), because the last segment was sealed")
        }
        for summary in report.segments where deletedSet.contains(summary.id) {
            Console.line("deleted \(summary.path) (LSNs \(summary.firstLSN.dash)...\(summary.lastLSN.dash))")
        }
        if deleted.isEmpty {
            Console.line(
                "nothing to delete at fence \(fence): no sealed segment before the last two lies wholly at or below it")
        } else {
            Console.line("deleted \(deleted.count) segment(s) at or below fence \(fence)")
        }
    }
}
