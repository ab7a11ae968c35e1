import ArgumentParser
import WALArchive

/// `walctl archive verify URL`: download everything and check it.
struct ArchiveVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Download every object of an archive and check hashes, the chain, LSNs, records and snapshots.",
        discussion: """
            Checks each piece's header and body hashes, its archive id, that it names the piece \
            before it, that LSNs continue without a gap, every record's CRC-32C and the \
            transaction rules, that the chain ends at the head's newest piece, and every \
            snapshot's hashes and LSN. An object that is not part of the archive is an error too. \
            The first problem is named by its object key.

            With --replay, also rebuilds the graph from the log, from LSN 1 or the oldest kept \
            snapshot, and checks that every later snapshot equals the graph rebuilt up to its LSN \
            (following snapshot loads as recovery does).

            Example:
              walctl archive verify file:///mnt/nfs/graph-archive
              walctl archive verify --replay s3://backups/graph

            Exit codes: 0 sound, 2 a damaged, missing or foreign object (named), 4 the store \
            failed, 64 bad arguments, 66 no archive at that URL.
            """)

    @OptionGroup var archive: ArchiveURLArgument

    @Flag(help: "Also rebuild the graph from the log and compare it with every archived snapshot.")
    var replay = false

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func run() throws {
        let (location, store) = try archive.open()
        let prefix = location.prefix
        let report: VerifyReport = try archiveOperation { try await ArchiveRestore.verify(store: store, prefix: prefix) }
        let replayed = replay ? try archiveOperation { try await ArchiveReplay.run(store: store, prefix: prefix) } : nil
        if json {
            Console.line(
                JSONValue.object([
                    ("url", .string(location.url)),
                    ("sound", .bool(true)),
                    ("pieces", .int(Int64(report.pieces))),
                    ("records", .int(Int64(report.records))),
                    ("bytes", .int(Int64(report.bytes))),
                    ("firstLSN", report.firstLSN.isNone ? .null : .uint(report.firstLSN.rawValue)),
                    ("lastLSN", report.lastLSN.isNone ? .null : .uint(report.lastLSN.rawValue)),
                    ("snapshots", .array(report.snapshots.map { .uint($0.rawValue) })),
                    ("replay", replayed.map(Self.json) ?? .null),
                ]).pretty)
            return
        }
        let range = report.lastLSN.isNone ? "no records" : "LSNs \(report.firstLSN)-\(report.lastLSN)"
        Console.line(
            "sound: \(report.pieces) pieces, \(report.records) records, \(ByteCount(UInt64(report.bytes))), \(range); \(report.snapshots.count) snapshots")
        if let replayed {
            let start = replayed.startLSN.isNone ? "LSN 1" : "the snapshot at LSN \(replayed.startLSN)"
            Console.line(
                "replayed: \(replayed.transactions) transactions from \(start) to LSN \(replayed.lastLSN), \(replayed.loads) snapshot loads followed; \(replayed.compared.count) snapshots equal the rebuilt graph; \(replayed.nodeCount) nodes, \(replayed.relationshipCount) relationships")
        }
    }

    static func json(_ report: ArchiveReplay.Report) -> JSONValue {
        .object([
            ("startLSN", .uint(report.startLSN.rawValue)),
            ("lastLSN", .uint(report.lastLSN.rawValue)),
            ("transactions", .int(Int64(report.transactions))),
            ("loads", .int(Int64(report.loads))),
            ("comparedSnapshots", .array(report.compared.map { .uint($0.rawValue) })),
            ("nodes", .int(Int64(report.nodeCount))),
            ("relationships", .int(Int64(report.relationshipCount))),
        ])
    }
}
