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

            Example:
              walctl archive verify file:///mnt/nfs/graph-archive

            Exit codes: 0 sound, 2 a damaged, missing or foreign object (named), 4 the store \
            failed, 64 bad arguments, 66 no archive at that URL.
            """)

    @OptionGroup var archive: ArchiveURLArgument

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func run() throws {
        let (location, store) = try archive.open()
        let prefix = location.prefix
        let report: VerifyReport = try archiveOperation { try await ArchiveRestore.verify(store: store, prefix: prefix) }
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
                ]).pretty)
            return
        }
        let range = report.lastLSN.isNone ? "no records" : "LSNs \(report.firstLSN)-\(report.lastLSN)"
        Console.line(
            "sound: \(report.pieces) pieces, \(report.records) records, \(ByteCount(UInt64(report.bytes))), \(range); \(report.snapshots.count) snapshots")
    }
}
