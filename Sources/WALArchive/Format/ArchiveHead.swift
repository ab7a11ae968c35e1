import Foundation
import WriteAheadLog

/// The archive's head object: what has been shipped, so the archiver knows
/// where to resume and a poller learns of new pieces with one small GET
/// instead of a LIST.
///
/// It is JSON (an operator can read it with any tool) and is replaced only
/// with a conditional put on the version read before, so a writer that
/// lost track of the archive fails instead of overwriting it. A piece
/// counts as archived only once the head names it or a later piece.
public struct ArchiveHead: Codable, Sendable, Equatable, ArchiveJSONDocument {
    /// The head's own format version.
    public var format: Int
    /// 16 random bytes in hex, chosen when the archive was created; every
    /// piece carries it, so an object of another archive is recognised.
    public var archiveID: String
    /// The last LSN of the newest acknowledged piece; 0 for none.
    public var lastLSN: UInt64
    /// The key of the newest acknowledged piece.
    public var lastKey: String?
    /// The hash of the newest acknowledged piece (hex), all zeros for none:
    /// the predecessor hash the next piece must carry.
    public var lastHash: String
    /// The segment the newest piece came from; 0 for none.
    public var lastSegment: UInt64
    /// Pieces and body bytes the archive holds: every acknowledged piece,
    /// less those retention dropped.
    public var pieces: Int
    public var bytes: UInt64
    /// The LSN and key of the newest archived snapshot; absent for none
    /// (and in heads written before snapshots were archived).
    public var lastSnapshotLSN: UInt64?
    public var lastSnapshotKey: String?
    /// The lease epoch of the writer that wrote this head; absent before
    /// the first lease.
    public var epoch: UInt64?
    /// The snapshots the archive keeps and when each was archived, oldest
    /// first, so retention decides without listing or reading them.
    public var snapshots: [SnapshotEntry]?
    /// Where the archive begins after retention deleted older pieces: the
    /// first LSN of the oldest kept piece, and the hash that piece names as
    /// its predecessor. Absent while the archive holds every piece since
    /// LSN 1 (or since the log it began on). Pieces that end below the
    /// anchor, and snapshots below it, are awaiting deletion: walks skip them.
    public var anchorLSN: UInt64?
    public var anchorHash: String?

    /// A snapshot in the head's catalog.
    public struct SnapshotEntry: Codable, Sendable, Equatable {
        public var lsn: UInt64
        /// When it was archived, in seconds since 1970 (UTC).
        public var archivedAt: Int64

        public init(lsn: UInt64, archivedAt: Int64) {
            self.lsn = lsn
            self.archivedAt = archivedAt
        }
    }

    public static let currentFormat = 1

    /// A head for a new, empty archive.
    public init(archiveID: [UInt8]) {
        self.format = Self.currentFormat
        self.archiveID = archiveID.map(hexByte).joined()
        self.lastLSN = 0
        self.lastKey = nil
        self.lastHash = String(repeating: "0", count: 64)
        self.lastSegment = 0
        self.pieces = 0
        self.bytes = 0
    }

    static let documentName = "head"

    static func decode(_ bytes: [UInt8], key: String) throws -> ArchiveHead {
        let head = try decodeDocument(bytes, key: key)
        guard parseHex(head.archiveID)?.count == 16, let hash = parseHex(head.lastHash), hash.count == 32,
            head.anchorHash.map({ parseHex($0)?.count == 32 }) ?? true, (head.anchorHash == nil) == (head.anchorLSN == nil)
        else {
            throw ArchiveError(.corruption, "the head's archive id or hash is not hex of the right length", key: key)
        }
        return head
    }

    var archiveIDBytes: [UInt8] { parseHex(archiveID) ?? [] }
    /// Whether a snapshot lies before the anchor: retention dropped it
    /// (the log after it is gone) and will delete it.
    func awaitsDeletion(snapshot lsn: LSN) -> Bool {
        guard let anchorLSN else { return false }
        return lsn.rawValue + 1 < anchorLSN
    }

    /// The predecessor hash the first piece of the walk must name.
    var anchorHashBytes: [UInt8] { anchorHash.flatMap(parseHex) ?? [UInt8](repeating: 0, count: 32) }
    var lastHashBytes: [UInt8] { parseHex(lastHash) ?? [] }
}

/// The bytes of an even-length lowercase or uppercase hex string.
func parseHex(_ text: String) -> [UInt8]? {
    let utf8 = Array(text.utf8)
    guard utf8.count % 2 == 0 else { return nil }
    func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(utf8.count / 2)
    var index = 0
    while index < utf8.count {
        guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
        bytes.append(high << 4 | low)
        index += 2
    }
    return bytes
}
