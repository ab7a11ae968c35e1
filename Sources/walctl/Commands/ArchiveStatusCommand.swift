import ArgumentParser
import Foundation
import WALArchive
import WriteAheadLog

/// `walctl archive status URL`: what an archive holds, from its head and two listings.
struct ArchiveStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show an archive's LSN range, snapshots, size and lease holder, and its lag behind a local log.",
        discussion: """
            Reads the head and the lease and lists the first piece and the snapshots; downloads nothing else \
            (`walctl archive verify` checks the bytes). With --log, also reads the local log \
            (without its lock) and shows how far the archive is behind it.

            Example:
              walctl archive status s3://backups/graph --log /var/lib/graph/wal

            Exit codes: 0 shown, 2 the head is damaged, 4 the store failed, 64 bad arguments, \
            66 no archive at that URL or no such log directory.
            """)

    /// Seconds since 1970 as an ISO 8601 UTC time.
    static func utc(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    @OptionGroup var archive: ArchiveURLArgument

    @Option(help: ArgumentHelp("A local log directory to measure the archive's lag against.", valueName: "dir"))
    var log: String?

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func run() throws {
        let (location, store) = try archive.open()
        let prefix = location.prefix
        let summary: ArchiveSummary = try archiveOperation { try await ArchiveSummary.read(store: store, prefix: prefix) }
        var localLSN: LSN?
        if let log {
            localLSN = try LogStatus(try LogDirectory(checking: log)).highestLSN
        }
        let head = summary.head
        let lag = localLSN.map { $0.rawValue > head.lastLSN ? $0.rawValue - head.lastLSN : 0 }
        if json {
            var fields: [(String, JSONValue)] = [
                ("url", .string(location.url)),
                ("archiveID", .string(head.archiveID)),
                ("firstLSN", summary.firstLSN.map { .uint($0.rawValue) } ?? .null),
                ("lastLSN", summary.lastLSN.map { .uint($0.rawValue) } ?? .null),
                ("pieces", .int(Int64(head.pieces))),
                ("bytes", .uint(head.bytes)),
                ("newestPiece", head.lastKey.map { .string($0) } ?? .null),
                ("snapshots", .array(summary.snapshots.map { .uint($0.rawValue) })),
                ("leaseHolder", summary.lease.map { .string($0.holder) } ?? .null),
                ("leaseEpoch", summary.lease.map { .uint($0.epoch) } ?? .null),
                ("leaseAcquiredAt", summary.lease.map { .int($0.acquiredAt) } ?? .null),
            ]
            if let localLSN, let lag {
                fields.append(("localLSN", .uint(localLSN.rawValue)))
                fields.append(("lagLSNs", .uint(lag)))
            }
            Console.line(JSONValue.object(fields).pretty)
            return
        }
        Console.line("archive      \(location.url) (id \(head.archiveID))")
        if let first = summary.firstLSN, let last = summary.lastLSN {
            Console.line("log          LSNs \(first)-\(last) in \(head.pieces) pieces, \(ByteCount(head.bytes))")
        } else {
            Console.line("log          empty: nothing archived yet")
        }
        if let key = head.lastKey { Console.line("newest piece \(key)") }
        let snapshots = summary.snapshots.map(\.description).joined(separator: ", ")
        Console.line("snapshots    \(summary.snapshots.isEmpty ? "none" : "at LSNs " + snapshots)")
        if let lease = summary.lease {
            Console.line("lease        held by \(lease.holder) at epoch \(lease.epoch), since \(Self.utc(lease.acquiredAt))")
        } else {
            Console.line("lease        not taken")
        }
        if let localLSN, let lag {
            Console.line("local log    \(log ?? "") ends at LSN \(localLSN): the archive is \(lag) LSNs behind")
        }
    }
}
