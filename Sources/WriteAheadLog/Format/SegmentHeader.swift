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
public struct SegmentHeader: Sendable, Equatable {
    public static let size = 32
    public static let magic: [UInt8] = Array("SWIFTWAL".utf8)
    /// Bumped on any change to the header or record format.
    public static let currentVersion: UInt16 = 1
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
        guard Array(bytes[0..<8]) == Self.magic else {
            throw WALError(.corruption, "segment header magic is wrong: this is not a segment file", offset: 0)
        }
        let stored = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 28, as: UInt32.self))
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<28]))
        guard stored == computed else {
            throw WALError(
                .corruption, "segment header checksum mismatch (stored \(hex(stored)), computed \(hex(computed)))",
                offset: 28)
        }
        let version = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
        guard version == Self.currentVersion else {
            throw WALError(
                .corruption, "segment format version \(version) is not supported (this build reads version \(Self.currentVersion))",
                offset: 8)
        }
        let flags = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 10, as: UInt16.self))
        guard flags & ~Self.sealedFlag == 0 else {
            throw WALError(.corruption, "segment header has unknown flags \(flags)", offset: 10)
        }
        let base = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt64.self))
        guard base > 0 else {
            throw WALError(.corruption, "segment base LSN is 0", offset: 12)
        }
        self.version = version
        self.baseLSN = LSN(base)
        self.isSealed = flags & Self.sealedFlag != 0
    }
}
