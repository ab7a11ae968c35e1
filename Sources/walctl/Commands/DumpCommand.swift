import ArgumentParser
import WriteAheadLog

/// `walctl dump DIR`: every record, one per line.
struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print records one per line: LSN, kind, transaction, sizes and events.",
        discussion: """
            Events are decoded as graph MutationEvents where they decode, and printed as raw hex \
            otherwise (always with --raw). Reads without taking the lock or writing. Records up to \
            any damage are printed before the error.

            Examples:
              walctl dump /var/lib/graph/wal --from 1200 --to 1300
              walctl dump /var/lib/graph/wal --format jsonl | jq 'select(.kind == "checkpoint")'

            Exit codes: 0 dumped (a torn tail is noted on stderr), 2 damage stopped the dump (named \
            on stderr with file, offset and LSN), 4 I/O error, 64 bad arguments, 66 no such log directory.
            """)

    @OptionGroup var directory: LogDirectoryArgument

    @Option(help: ArgumentHelp("Print records from this LSN on.", valueName: "lsn"))
    var from: LSNArgument?

    @Option(help: ArgumentHelp("Print records up to and including this LSN.", valueName: "lsn"))
    var to: LSNArgument?

    @Option(help: "Output format: text (one key=value line per record) or jsonl (one JSON object per line).")
    var format: DumpFormat = .text

    @Flag(help: "Print every event as raw hex, without trying the known codecs.")
    var raw = false

    func validate() throws {
        if let from, let to, from.lsn > to.lsn {
            throw ValidationError("--from \(from) is above --to \(to): the range is empty")
        }
    }

    /// Thrown from the visitor once past `--to`: ends the walk early
    /// instead of reading the rest of the log for nothing.
    private struct PastRange: Error {}

    func run() throws {
        let log = try directory.check()
        let decoders = raw ? EventDecoders.rawOnly : EventDecoders.known
        let lower = from?.lsn ?? .none
        let upper = to?.lsn
        let report: ReplayReport?
        do {
            // Records stream to stdout as they are read: a progress line
            // only helps when they go to a file or a pipe.
            let scan = LogScan(directory: log, label: "dumping", showsProgress: !Console.stdoutIsTerminal)
            report = try scan.run(mode: .strict) { record in
                if let upper, record.lsn > upper { throw PastRange() }
                guard record.lsn >= lower else { return }
                let line = RecordLine(record, decoders: decoders)
                Console.line(format == .jsonl ? line.json.compact : line.text)
            }
        } catch is PastRange {
            report = nil
        }
        Console.flush()
        if let torn = report?.tornTail {
            Console.diagnostic(
                "walctl: note: torn tail in \(torn.path) at offset \(torn.offset) (\(torn.fileBytes - torn.offset) bytes, \(torn.reason)); not shown")
        }
    }
}
