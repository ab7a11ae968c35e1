import Crypto
import WriteAheadLog

/// One immutable piece of the log as stored in the archive: a run of
/// records of one segment, ending at a transaction boundary, behind a
/// header that ties it to its archive and to the piece before it.
///
/// ```
/// offset size field
///   0     8   magic "WALPIECE"
///   8     2   format version (u16) = 2 (1: bytes 12..<16 are zero)
///  10     2   flags (u16): bit 0 = the piece ends its segment, which was sealed
///  12     4   the lease epoch of the writer (u32; 0 before leases)
///  16    16   archive id
///  32     8   first LSN
///  40     8   last LSN
///  48     8   segment id
///  56     8   segment base LSN
///  64     8   record count
///  72     8   body length
///  80    32   hash of the previous piece (zeros for the first)
/// 112    32   SHA-256 of the body
/// 144    32   SHA-256 of bytes 0..<144: the piece's hash
/// 176     n   body: the records, byte for byte as in the segment
/// ```
///
/// The piece's hash covers the header, which holds the body's hash, so the
/// chain of predecessor hashes pins every byte of every piece before it.
public struct LogPiece: Sendable, Equatable {
    public static let magic = Array("WALPIECE".utf8)
    public static let currentVersion: UInt16 = 2
    public static let headerSize = 176
    static let sealedEndFlag: UInt16 = 1

    public var archiveID: [UInt8]
    public var firstLSN: LSN
    public var lastLSN: LSN
    public var segment: SegmentID
    public var segmentBaseLSN: LSN
    public var recordCount: Int
    /// Whether this piece ends its segment and the segment was sealed.
    public var endsSealedSegment: Bool
    public var previousHash: [UInt8]
    public var body: [UInt8]
    /// The lease epoch of the archiver that wrote the piece: of two pieces
    /// that follow the same predecessor, the one a fenced writer left has
    /// the lower epoch.
    public var writerEpoch: UInt32 = 0

    /// The object bytes and the piece's hash.
    func encoded() -> (bytes: [UInt8], hash: [UInt8]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerSize + body.count)
        bytes += Self.magic
        bytes.appendLittleEndian(Self.currentVersion)
        bytes.appendLittleEndian(endsSealedSegment ? Self.sealedEndFlag : 0)
        bytes.appendLittleEndian(writerEpoch)
        bytes += archiveID
        bytes.appendLittleEndian(firstLSN.rawValue)
        bytes.appendLittleEndian(lastLSN.rawValue)
        bytes.appendLittleEndian(segment.rawValue)
        bytes.appendLittleEndian(segmentBaseLSN.rawValue)
        bytes.appendLittleEndian(UInt64(recordCount))
        bytes.appendLittleEndian(UInt64(body.count))
        bytes += previousHash
        bytes += Array(SHA256.hash(data: body))
        let hash = Array(SHA256.hash(data: bytes))
        bytes += hash
        bytes += body
        return (bytes, hash)
    }

    /// Decodes and checks an object: magic, version, flags, both hashes and
    /// the sizes. Returns the piece and its hash. Errors name `key`.
    static func decode(_ bytes: [UInt8], key: String) throws -> (piece: LogPiece, hash: [UInt8]) {
        guard bytes.count >= headerSize else {
            throw ArchiveError(.corruption, "\(bytes.count) bytes are too few for a log piece's \(headerSize)-byte header", key: key)
        }
        if let encrypted = ArchiveError.encryptedWithoutKey(bytes, key: key) { throw encrypted }
        guard Array(bytes[0..<8]) == magic else {
            throw ArchiveError(.corruption, "not a log piece: the magic is wrong", key: key)
        }
        let storedHash = Array(bytes[144..<176])
        let computedHash = Array(SHA256.hash(data: bytes[0..<144]))
        guard storedHash == computedHash else {
            throw ArchiveError(.corruption, "the header's SHA-256 does not match its bytes", key: key)
        }
        func u16(_ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * $1) } }
        let version = u16(8)
        guard version == 1 || version == currentVersion else {
            throw ArchiveError(.corruption, "log piece format version \(version); this build reads 1 and \(currentVersion)", key: key)
        }
        let flags = u16(10)
        let writerEpoch = UInt32(truncatingIfNeeded: u64(12))
        guard flags & ~sealedEndFlag == 0, version > 1 || writerEpoch == 0 else {
            throw ArchiveError(.corruption, "unknown flags or non-zero reserved bytes in the header", key: key)
        }
        let bodyLength = u64(72)
        guard bodyLength == UInt64(bytes.count - headerSize) else {
            throw ArchiveError(
                .corruption, "the header says \(bodyLength) body bytes but the object holds \(bytes.count - headerSize)", key: key)
        }
        let body = Array(bytes[headerSize...])
        guard Array(SHA256.hash(data: body)) == Array(bytes[112..<144]) else {
            throw ArchiveError(.corruption, "the body's SHA-256 does not match the header", key: key)
        }
        guard u64(64) <= UInt64(Int.max) else { throw ArchiveError(.corruption, "impossible record count", key: key) }
        let piece = LogPiece(
            archiveID: Array(bytes[16..<32]), firstLSN: LSN(u64(32)), lastLSN: LSN(u64(40)), segment: SegmentID(u64(48)),
            segmentBaseLSN: LSN(u64(56)), recordCount: Int(u64(64)), endsSealedSegment: flags & sealedEndFlag != 0,
            previousHash: Array(bytes[80..<112]), body: body, writerEpoch: writerEpoch)
        return (piece, storedHash)
    }
}

/// One record framed as in a segment (docs/FORMAT.md), parsed back from a piece's body.
struct ArchivedRecord: Equatable {
    var kind: RecordKind
    var lsn: LSN
    var txBeginLSN: LSN
    /// Where the record's bytes lie in the body.
    var range: Range<Int>

    /// The frame of a record: length, kind, LSN, transaction, payload, CRC-32C.
    static func frame(kind: RecordKind, lsn: LSN, txBeginLSN: LSN, payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(RecordFrame.minimumSize + payload.count)
        bytes.appendLittleEndian(UInt32(RecordFrame.minimumSize + payload.count))
        bytes.append(kind.rawValue)
        bytes.appendLittleEndian(lsn.rawValue)
        bytes.appendLittleEndian(txBeginLSN.rawValue)
        bytes += payload
        bytes.appendLittleEndian(CRC32C.checksum(bytes))
        return bytes
    }

    /// Every record of a body, checking framing and checksums. Errors name `key`.
    static func parseAll(_ body: [UInt8], key: String) throws -> [ArchivedRecord] {
        var records: [ArchivedRecord] = []
        var offset = 0
        while offset < body.count {
            guard body.count - offset >= RecordFrame.minimumSize else {
                throw ArchiveError(.corruption, "a record at body offset \(offset) is cut short", key: key)
            }
            func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(body[at + $1]) << (8 * $1) } }
            let length = Int(body[offset]) | Int(body[offset + 1]) << 8 | Int(body[offset + 2]) << 16 | Int(body[offset + 3]) << 24
            guard length >= RecordFrame.minimumSize, length <= body.count - offset else {
                throw ArchiveError(.corruption, "the record at body offset \(offset) has an impossible length \(length)", key: key)
            }
            let end = offset + length
            let stored = UInt32(body[end - 4]) | UInt32(body[end - 3]) << 8 | UInt32(body[end - 2]) << 16 | UInt32(body[end - 1]) << 24
            let computed = body.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[offset..<(end - 4)])) }
            guard stored == computed else {
                throw ArchiveError(.corruption, "the record at body offset \(offset) fails its CRC-32C", key: key)
            }
            guard let kind = RecordKind(rawValue: body[offset + 4]) else {
                throw ArchiveError(.corruption, "the record at body offset \(offset) has unknown kind \(body[offset + 4])", key: key)
            }
            records.append(
                ArchivedRecord(kind: kind, lsn: LSN(u64(offset + 5)), txBeginLSN: LSN(u64(offset + 13)), range: offset..<end))
            offset = end
        }
        return records
    }
}

/// Follows the transaction structure of a run of records, to find the
/// points where no transaction is open: the only places a piece may end
/// and a restore may cut.
struct TransactionTracker {
    /// The transactions begun and not yet committed or aborted. The
    /// primitive API lets a caller keep several open at once.
    private(set) var open: Set<LSN> = []

    var isAtBoundary: Bool { open.isEmpty }

    /// Takes one record; returns the rule it breaks, if any.
    mutating func visit(kind: RecordKind, lsn: LSN, txBeginLSN: LSN) -> TransactionRuleError? {
        switch kind {
        case .txBegin:
            guard txBeginLSN == lsn, open.insert(lsn).inserted else {
                return TransactionRuleError(lsn: lsn, rule: "a begin that names another record or repeats one")
            }
        case .mutation, .mutationBatch:
            guard open.contains(txBeginLSN) else { return TransactionRuleError(lsn: lsn, rule: "a mutation outside an open transaction") }
        case .txCommit, .txAbort:
            guard open.remove(txBeginLSN) != nil else {
                return TransactionRuleError(lsn: lsn, rule: "an end of a transaction that is not open")
            }
        case .checkpoint:
            break
        }
        return nil
    }
}

struct TransactionRuleError {
    var lsn: LSN
    var rule: String
}
