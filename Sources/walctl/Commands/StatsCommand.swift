import ArgumentParser
import WriteAheadLog

/// `walctl stats DIR`: what the log is made of.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Count records by kind, transactions, events per transaction and bytes by event kind.",
        discussion: """
            Event kinds come from the graph MutationEvent codec; events it cannot decode count as \
            `raw`. Reads without taking the lock or writing. On damage, counts what precedes it and \
            says where it stopped.

            Example:
              walctl stats /var/lib/graph/wal --json

            Exit codes: 0 counted, 2 damage stopped the count (named on stderr), 4 I/O error, 64 bad \
            arguments, 66 no such log directory.
            """)

    @OptionGroup var directory: LogDirectoryArgument

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func run() throws {
        let log = try directory.check()
        var statistics = LogStatistics(decoders: .known)
        let report = try LogScan(directory: log, label: "counting").run(mode: .salvage) { statistics.add($0) }
        if json {
            Console.line(statistics.json(stoppedAt: report.damage).pretty)
        } else {
            statistics.lines.forEach { Console.line($0) }
        }
        if let damage = report.damage {
            throw WalctlFailure(
                .damaged,
                "counted only up to the damage in \(damage.path) at offset \(damage.offset), after LSN \(damage.lastGoodLSN): \(damage.reason)")
        }
    }
}
