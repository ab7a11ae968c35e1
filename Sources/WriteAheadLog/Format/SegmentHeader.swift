/// The fixed 32-byte header at the start of every segment file.
///
/// ```
/// 0   8  magic "SWIFTWAL"
/// 8   2  format version (u16)
/// 10  2  flags (u16): bit 0 = sealed
/// 12  8  base LSN (u64): the first LSN the segment may hold
/// 20  8  reserved, zero
/// 28  4  CRC-32C of bytes 0..<28
/// ```
///
/// Segments chain: the base LSN of each is one past the last record of the
/// one before it (`successorBaseLSN(base:lastLSN:)`), so a log with a
/// segment cut short at a record boundary is told from a whole one.
public struct SegmentHeader: Sendable, Equatable {
    public static let size = 32

    /// Byte offsets of the fields, as in the layout above.
    package enum Field {
        package static let magic = 0
        package static let version = 8
        package static let flags = 10
        package static let baseLSN = 12
        package static let reserved = 20
        package static let checksum = 28
    }

    /// The base LSN the segment after one with base `base` must have, when
    /// that segment's last record is `lastLSN` (`.none` if it holds none):
    /// one past its last record, or one past its base when it is empty.
    ///
    /// Rotation starts the next segment there (the next LSN to hand out),
    /// and so does open after a sealed last segment. Replay and `walctl
    /// verify` check it between adjacent segments: any other base means the
    /// earlier segment lost records at its end, cut at a record boundary,
    /// which no record check can see. For the same reason a segment holding
    /// no record is never sealed behind a successor with the same base.
    package static func successorBaseLSN(base: LSN, lastLSN: LSN) -> LSN {
        LSN((lastLSN == .none ? base : lastLSN).rawValue &+ 1)
    }
    public static let magic: [UInt8] = Array("SWIFTWAL".utf8)
    /// Bumped on any change to the header or record format. Version 2:
    /// commit records carry their commit time (``CommitTime``).
    public static let currentVersion: UInt16 = 2
    /// The versions this build reads: 1 (commits without a time) and 2.
    public static let readableVersions: ClosedRange<UInt16> = 1...currentVersion
    static let sealedFlag: UInt16 = 1

    public var version: UInt16
    public var baseLSN: LSN
    /// A sealed segment is complete: it is never appended to again.
    public var isSealed: Bool

    public init(baseLSN: LSN, isSealed: Bool = false, version: UInt16 = SegmentHeader.currentVersion) {
        self.version = version
        self.baseLSN = baseLSN
        self.isSealed = isSealed
    }

    /// The 32 bytes of this header.
    public var bytes: [UInt8] {
        var buffer = Self.magic
        buffer.reserveCapacity(Self.size)
        buffer.appendLittleEndian(version)
        buffer.appendLittleEndian(isSealed ? Self.sealedFlag : 0)
        buffer.appendLittleEndian(baseLSN.rawValue)
        buffer.appendLittleEndian(UInt64(0))
        buffer.appendLittleEndian(CRC32C.checksum(buffer))
        return buffer
    }

    /// Parses a header, or says exactly what is wrong with it.
    public init(parsing bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count >= Self.size else {
            throw WALError(.corruption, "segment header needs \(Self.size) bytes, found \(bytes.count)", offset: 0)
        }
        guard Array(bytes[Field.magic..<Field.version]) == Self.magic else {
            throw WALError(.corruption, "segment header magic is wrong: this is not a segment file", offset: 0)
        }
        let stored = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: Field.checksum, as: UInt32.self))
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<Field.checksum]))
        guard stored == computed else {
            throw WALError(
                .corruption, "segment header checksum mismatch (stored \(hex(stored)), computed \(hex(computed)))",
                offset: UInt64(Field.checksum))
        }
        let version = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: Field.version, as: UInt16.self))
        guard Self.readableVersions.contains(version) else {
            throw WALError(
                .corruption,
                "segment format version \(version) is not supported (this build reads versions \(Self.readableVersions.lowerBound) to \(Self.readableVersions.upperBound))",
                offset: UInt64(Field.version))
        }
        let flags = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: Field.flags, as: UInt16.self))
        guard flags & ~Self.sealedFlag == 0 else {
            throw WALError(.corruption, "segment header has unknown flags \(flags)", offset: UInt64(Field.flags))
        }
        let base = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: Field.baseLSN, as: UInt64.self))
        guard base > 0 else {
            throw WALError(.corruption, "segment base LSN is 0", offset: UInt64(Field.baseLSN))
        }
        self.version = version
        self.baseLSN = LSN(base)
        self.isSealed = flags & Self.sealedFlag != 0
    }
}
