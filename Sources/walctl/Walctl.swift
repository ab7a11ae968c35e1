import ArgumentParser
import WriteAheadLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `walctl`: the operator's offline tool for write-ahead log directories
/// and graph snapshots.
///
/// Reading commands never take the lock and never write, so they are safe
/// beside a live database. `repair` and `truncate` change a log only when
/// asked, under the directory lock, and refuse while a live process holds it.
@main
struct Walctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "walctl",
        abstract: "Inspect, verify and repair write-ahead log directories and graph snapshots.",
        discussion: """
            Reading commands (status, dump, verify, stats, snapshot inspect) take no lock and write \
            nothing: they are safe beside a live process. repair and truncate take the directory lock \
            and refuse while a live process holds it. No command creates a directory.

            Example:
              walctl verify /var/lib/graph/wal && walctl status /var/lib/graph/wal

            \(ExitStatus.helpTable)
            """,
        version: "walctl 1.0 (reads WAL segment formats \(SegmentHeader.readableVersions.lowerBound) to \(SegmentHeader.readableVersions.upperBound))",
        subcommands: [
            StatusCommand.self, DumpCommand.self, VerifyCommand.self, RepairCommand.self, TruncateCommand.self,
            SnapshotCommand.self, StatsCommand.self, ArchiveCommand.self,
        ])

    /// Parses, runs, and turns every error into one line on stderr and an
    /// exit code from ``ExitStatus``; nothing ends in a stack trace.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Console.flush()
            terminate(code.rawValue)
        } catch let failure as WalctlFailure {
            report(failure)
        } catch {
            // Help and --version arrive as "errors" that exit 0 (some only
            // from the built-in help command's run): let the parser print them.
            if exitCode(for: error) == .success { exit(withError: error) }
            if exitCode(for: error) == ExitStatus.usage.exitCode {
                let message = message(for: error).split(whereSeparator: \.isNewline).joined(separator: " ")
                Console.diagnostic("walctl: \(message) (see '\(helpHint())')")
                terminate(ExitStatus.usage.rawValue)
            }
            report(WalctlFailure(error))
        }
        Console.flush()
    }

    private static func report(_ failure: WalctlFailure) -> Never {
        Console.flush()
        Console.diagnostic("walctl: \(failure.message)")
        terminate(failure.status.rawValue)
    }

    /// `walctl dump --help` when the arguments name a command, else `walctl --help`.
    private static func helpHint() -> String {
        let arguments = CommandLine.arguments.dropFirst()
        var words = ["walctl"]
        if let first = arguments.first,
            let command = configuration.subcommands.first(where: { $0._commandName == first })
        {
            words.append(first)
            if let second = arguments.dropFirst().first,
                command.configuration.subcommands.contains(where: { $0._commandName == second })
            {
                words.append(second)
            }
        }
        return (words + ["--help"]).joined(separator: " ")
    }
}

/// Ends the process with `status`; a free function because inside a
/// command type `exit` names ArgumentParser's `exit(withError:)`.
private func terminate(_ status: Int32) -> Never {
    exit(status)
}
