import Crypto
import WriteAheadLog

/// A snapshot as stored in the archive: the snapshot file's bytes, opaque
/// to the archive, behind a header that ties them to the archive and to
/// the LSN they are consistent with.
///
/// ```
/// offset size field
///   0     8   magic "WALSNAPS"
///   8     2   format version (u16) = 1
///  10     6   reserved, zero
///  16    16   archive id
///  32     8   LSN: the last transaction the snapshot contains
///  40     8   body length
///  48    32   SHA-256 of the body
///  80    32   SHA-256 of bytes 0..<80: the object's hash
/// 112     n   body: the snapshot file, byte for byte
/// ```
///
/// A snapshot is not part of the chain of pieces: it is a shortcut into
/// it. A restore to LSN `t` starts from the newest snapshot at or below
/// `t` and replays the archived log after it.
public struct ArchivedSnapshot: Sendable, Equatable {
    public static let magic = Array("WALSNAPS".utf8)
    public static let currentVersion: UInt16 = 1
    public static let headerSize = 112

    public var archiveID: [UInt8]
    public var lsn: LSN
    public var body: [UInt8]

    public init(archiveID: [UInt8], lsn: LSN, body: [UInt8]) {
        self.archiveID = archiveID
        self.lsn = lsn
        self.body = body
    }

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerSize + body.count)
        bytes += Self.magic
        bytes.appendLittleEndian(Self.currentVersion)
        bytes += [UInt8](repeating: 0, count: 6)
        bytes += archiveID
        bytes.appendLittleEndian(lsn.rawValue)
        bytes.appendLittleEndian(UInt64(body.count))
        bytes += Array(SHA256.hash(data: body))
        bytes += Array(SHA256.hash(data: bytes))
        bytes += body
        return bytes
    }

    /// Decodes and checks an object: magic, version, both hashes and the
    /// size. Errors name `key`.
    static func decode(_ bytes: [UInt8], key: String) throws -> ArchivedSnapshot {
        guard bytes.count >= headerSize else {
            throw ArchiveError(.corruption, "\(bytes.count) bytes are too few for a snapshot's \(headerSize)-byte header", key: key)
        }
        if let encrypted = ArchiveError.encryptedWithoutKey(bytes, key: key) { throw encrypted }
        guard Array(bytes[0..<8]) == magic else {
            throw ArchiveError(.corruption, "not an archived snapshot: the magic is wrong", key: key)
        }
        guard Array(bytes[80..<112]) == Array(SHA256.hash(data: bytes[0..<80])) else {
            throw ArchiveError(.corruption, "the snapshot header's SHA-256 does not match its bytes", key: key)
        }
        func u64(_ at: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * $1) } }
        let version = UInt16(bytes[8]) | UInt16(bytes[9]) << 8
        guard version == currentVersion else {
            throw ArchiveError(.corruption, "archived snapshot format version \(version); this build reads \(currentVersion)", key: key)
        }
        guard bytes[10..<16].allSatisfy({ $0 == 0 }) else {
            throw ArchiveError(.corruption, "non-zero reserved bytes in the snapshot header", key: key)
        }
        let bodyLength = u64(40)
        guard bodyLength == UInt64(bytes.count - headerSize) else {
            throw ArchiveError(
                .corruption, "the header says \(bodyLength) snapshot bytes but the object holds \(bytes.count - headerSize)", key: key)
        }
        let body = Array(bytes[headerSize...])
        guard Array(SHA256.hash(data: body)) == Array(bytes[48..<80]) else {
            throw ArchiveError(.corruption, "the snapshot's SHA-256 does not match the header", key: key)
        }
        return ArchivedSnapshot(archiveID: Array(bytes[16..<32]), lsn: LSN(u64(32)), body: body)
    }
}
