import ArgumentParser
import GraphDatabase
import WALArchive
import WriteAheadLog

/// `walctl archive restore URL DIR`: rebuild a data directory (or a bare
/// log directory) from an archive, up to any transaction.
struct ArchiveRestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Rebuild a graph-server data directory from an archive, up to exactly one transaction.",
        discussion: """
            Writes DIR/snapshots/snapshot-<LSN>.snap (the newest archived snapshot at or below the \
            target) and DIR/wal (the archived log after it, up to the last transaction that ended \
            at or before the target), the layout `graph-server --data-dir DIR` opens. Every object \
            read is checked as `verify` checks it; every file is fsynced before the command \
            returns. DIR must not hold a log or that snapshot already. With --to-time, the target \
            is the last transaction committed at or before that moment (commit records carry \
            their time from segment format 2 on). With --log-only, DIR becomes a bare log \
            directory holding the whole archived log (for WAL users without snapshots).

            Example:
              walctl archive restore s3://backups/graph /var/lib/graph-restored --to-lsn 120000
              walctl archive restore s3://backups/graph /var/lib/graph-restored --to-time 2026-12-01T15:04:05Z
              graph-server --data-dir /var/lib/graph-restored

            Exit codes: 0 restored, 2 a damaged, missing or foreign object (named), 4 the store \
            or the disk failed, 64 bad arguments or DIR already holds a log, 66 no archive at \
            that URL or nothing to restore at or below the target.
            """)

    @OptionGroup var archive: ArchiveURLArgument

    @Argument(help: ArgumentHelp("The data directory to create (or an empty one).", valueName: "dir"), completion: .directory)
    var directory: String

    @Option(name: .customLong("to-lsn"), help: ArgumentHelp("Restore up to this LSN (default: everything archived).", valueName: "lsn"))
    var target: LSNArgument?

    @Option(
        name: .customLong("to-time"),
        help: ArgumentHelp(
            "Restore every transaction committed at or before this moment (ISO 8601 with a time zone).", valueName: "time"))
    var time: TimestampArgument?

    @Flag(help: "Restore a bare log directory from the whole archived log, without a snapshot.")
    var logOnly = false

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func validate() throws {
        if target != nil && time != nil {
            throw ValidationError("give --to-lsn or --to-time, not both")
        }
    }

    func run() throws {
        let (location, store) = try archive.open()
        let directory = self.directory
        var target = self.target?.lsn
        if let time = self.time?.date {
            let prefix = location.prefix
            target = try archiveOperation { try await ArchiveRestore.lsn(committedAtOrBefore: time, store: store, prefix: prefix) }
        }
        let resolvedTarget = target
        // graph-server's data directory layout, as GraphDatabase defines it.
        let layout = GraphDatabaseConfiguration(storage: .dataDirectory(directory))
        let logDirectory = logOnly ? directory : layout.walDirectory ?? directory + "/wal"
        var snapshotPath: (@Sendable (LSN) -> String)?
        if !logOnly {
            snapshotPath = { @Sendable lsn in layout.snapshotPath(for: lsn) ?? directory + "/snapshot-\(lsn.rawValue).snap" }
        }
        let snapshotPathForRestore = snapshotPath
        let prefix = location.prefix
        let report: RestoreReport = try archiveOperation {
            try await ArchiveRestore.restore(
                from: store, prefix: prefix, into: logDirectory, upTo: resolvedTarget, snapshotPath: snapshotPathForRestore)
        }
        if json {
            Console.line(
                JSONValue.object([
                    ("restoredLSN", .uint(report.restoredLSN.rawValue)),
                    ("snapshotLSN", report.snapshotLSN.map { .uint($0.rawValue) } ?? .null),
                    ("snapshotPath", report.snapshotPath.map { .string($0) } ?? .null),
                    ("segments", .array(report.segments.map { .uint($0.rawValue) })),
                    ("piecesRead", .int(Int64(report.pieces))),
                ]).pretty)
            return
        }
        if let lsn = report.snapshotLSN, let path = report.snapshotPath {
            Console.line("snapshot at LSN \(lsn) -> \(path)")
        }
        Console.line(
            "restored up to LSN \(report.restoredLSN): \(report.segments.count) log segments from \(report.pieces) pieces into \(logDirectory)")
    }
}
