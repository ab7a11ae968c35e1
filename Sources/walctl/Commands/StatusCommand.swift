import ArgumentParser

/// `walctl status DIR`: what a log directory holds, segment by segment.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a log's segments, LSNs, torn tail, newest checkpoint and lock holder.",
        discussion: """
            Reads every record without taking the lock or writing, so it is safe beside a live \
            process (whose in-flight writes may then show as a torn tail). On damage it shows \
            everything up to it and where it is; `walctl verify` judges the log.

            Example:
              walctl status /var/lib/graph/wal --json

            Exit codes: 0 shown (a torn tail included), 2 damage stopped the walk (the output says \
            where), 4 I/O error, 64 bad arguments, 66 no such log directory.
            """)

    @OptionGroup var directory: LogDirectoryArgument

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func run() throws {
        let status = try LogStatus(try directory.check())
        if json {
            Console.line(status.json.pretty)
        } else {
            status.lines.forEach { Console.line($0) }
        }
        if status.report.damage != nil { throw ExitStatus.damaged.exitCode }
    }
}
