import WriteAheadLog

/// The fixed 64-byte header of a graph snapshot, readable on its own.
///
/// A snapshot, byte by byte (integers little-endian):
///
/// ```
/// 0    8  magic "GRAPHSNP"
/// 8    2  format version (u16), 4 (1 to 3 are still read)
/// 10   2  flags (u16), zero (reserved)
/// 12   8  walLSN (u64): the last WAL LSN the snapshot contains; 0 = none
/// 20   8  node count (u64)
/// 28   8  relationship count (u64)
/// 36   8  next node id (u64)
/// 44   8  next relationship id (u64)
/// 52   8  body length in bytes (u64)
/// 60   4  CRC-32C of bytes 0..<60
/// 64   …  body: the nodes, then the relationships, each ascending by id
/// end-4 4 CRC-32C of the body
/// ```
///
/// Body of version 4, in the encoding of `BinaryWriting.swift` (varints,
/// strings, labels, props, values):
///
/// ```
/// log position  u8 0 (none) or 1, then varint segment id, varint offset,
///               varint LSN: where record walLSN (or one below it) starts
///               in the log, for recovery to begin reading right after it
/// label sets    varint count, then that many labels (sets 1, 2, ...; set 0
///               is the empty one and not listed)
/// property keys varint count, then that many strings (keys 0, 1, ...)
/// types         varint count, then that many strings (types 0, 1, ...)
/// node          varint id gap, varint label set, varint length, encoded
///               properties (see PropertyBlob: varint count, then varint
///               key number and value per property, ascending by number)
/// relationship  varint id gap, varint type, varint source, varint target,
///               varint length, encoded properties
/// indexes       varint count, then per index: string label, string key,
///               u8 unique (0 or 1); sorted by label and key
/// ```
///
/// Version 3 is version 4 without the log position. Both keep the
/// store's intern tables, so a load keeps each record's properties as
/// stored (checked, not rebuilt) and names are read once, not once per
/// record. Versions 1 and 2 spell every label, type and key in every
/// record:
///
/// ```
/// node          varint id gap, labels, props
/// relationship  varint id gap, string type, varint source, varint target, props
/// indexes       as in version 3 (version 2; version 1 has none)
/// ```
///
/// This build reads all four and writes version 4. An index's contents
/// are not stored: loading rebuilds them from the nodes (and checks unique
/// constraints again).
///
/// An id gap is the id minus the previous id of its kind plus one (the
/// first one is the id itself): dense ids cost one byte each, and ids are
/// strictly increasing by construction.
///
/// The header has its own checksum, separate from the body's, because a
/// flipped bit in `walLSN` would silently move the replay fence; and it is
/// fixed-size so an operator tool can read it from the first 64 bytes of a
/// file of any size.
public struct SnapshotHeader: Sendable, Equatable {
    /// The header's size in bytes.
    public static let size = 64
    /// The body checksum after the body.
    public static let trailerSize = 4
    /// The first eight bytes of every snapshot.
    public static let magic: [UInt8] = Array("GRAPHSNP".utf8)
    /// Bumped on any change to the header or body format.
    public static let currentVersion: UInt16 = 4
    /// The versions this build reads: every one it ever wrote.
    public static let readableVersions: ClosedRange<UInt16> = 1...currentVersion

    /// The format version the snapshot was written in.
    public var version: UInt16
    /// The WAL LSN the snapshot is consistent with: recovery replays records above it. `LSN.none` if none.
    public var walLSN: LSN
    /// How many nodes the body holds.
    public var nodeCount: UInt64
    /// How many relationships the body holds.
    public var relationshipCount: UInt64
    /// The store's node id counter.
    public var nextNodeID: NodeID
    /// The store's relationship id counter.
    public var nextRelationshipID: RelationshipID
    /// The body's size in bytes, between the header and the body checksum.
    public var bodyLength: UInt64

    /// A header with these fields; ``GraphStore/snapshotBytes(walLSN:)`` writes it.
    public init(
        walLSN: LSN, nodeCount: UInt64, relationshipCount: UInt64, nextNodeID: NodeID,
        nextRelationshipID: RelationshipID, bodyLength: UInt64, version: UInt16 = SnapshotHeader.currentVersion
    ) {
        self.version = version
        self.walLSN = walLSN
        self.nodeCount = nodeCount
        self.relationshipCount = relationshipCount
        self.nextNodeID = nextNodeID
        self.nextRelationshipID = nextRelationshipID
        self.bodyLength = bodyLength
    }

    /// The size of the whole snapshot this header describes: header, body and body checksum.
    public var snapshotSize: UInt64 {
        // Parsing refuses lengths for which this would overflow.
        UInt64(Self.size + Self.trailerSize) &+ bodyLength
    }

    /// The 64 bytes of this header, checksum included.
    public var bytes: [UInt8] {
        var buffer = Self.magic
        buffer.reserveCapacity(Self.size)
        buffer.appendLittleEndian(version)
        buffer.appendLittleEndian(UInt16(0))
        buffer.appendLittleEndian(walLSN.rawValue)
        buffer.appendLittleEndian(nodeCount)
        buffer.appendLittleEndian(relationshipCount)
        buffer.appendLittleEndian(nextNodeID.rawValue)
        buffer.appendLittleEndian(nextRelationshipID.rawValue)
        buffer.appendLittleEndian(bodyLength)
        buffer.appendLittleEndian(CRC32C.checksum(buffer))
        return buffer
    }

    /// Parses the header from the first ``size`` bytes of `bytes` (more may
    /// follow and are not looked at), or says exactly what is wrong with it.
    ///
    /// Checks the magic, the header checksum, the version and the flags;
    /// the body is not read, so this is cheap for any snapshot size.
    public init(parsing bytes: [UInt8]) throws(GraphStoreError) {
        guard bytes.count >= Self.size else {
            throw GraphStoreError(
                .snapshotCorrupt,
                "a snapshot needs a \(Self.size)-byte header, but there are only \(bytes.count) bytes", offset: 0)
        }
        guard Array(bytes[0..<8]) == Self.magic else {
            throw GraphStoreError(.snapshotCorrupt, "the magic is wrong: this is not a graph snapshot", offset: 0)
        }
        func load<T: FixedWidthInteger>(_ offset: Int, as type: T.Type) -> T {
            bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        }
        let stored = load(60, as: UInt32.self)
        let computed = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<60])) }
        guard stored == computed else {
            throw GraphStoreError(
                .snapshotChecksumMismatch,
                "the header checksum does not match (stored \(hex(stored)), computed \(hex(computed))): the header is damaged",
                offset: 60)
        }
        let version = load(8, as: UInt16.self)
        guard Self.readableVersions.contains(version) else {
            throw GraphStoreError(
                .unsupportedSnapshotVersion,
                "snapshot format version \(version) is not supported (this build reads versions \(Self.readableVersions.lowerBound) to \(Self.readableVersions.upperBound))",
                offset: 8)
        }
        let flags = load(10, as: UInt16.self)
        guard flags == 0 else {
            throw GraphStoreError(.snapshotCorrupt, "the header has unknown flags \(flags)", offset: 10)
        }
        let bodyLength = load(52, as: UInt64.self)
        guard bodyLength <= UInt64(Int.max - Self.size - Self.trailerSize) else {
            throw GraphStoreError(
                .snapshotCorrupt, "the header claims an impossible body length \(bodyLength)", offset: 52)
        }
        self.version = version
        self.walLSN = LSN(load(12, as: UInt64.self))
        self.nodeCount = load(20, as: UInt64.self)
        self.relationshipCount = load(28, as: UInt64.self)
        self.nextNodeID = NodeID(load(36, as: UInt64.self))
        self.nextRelationshipID = RelationshipID(load(44, as: UInt64.self))
        self.bodyLength = bodyLength
    }

    /// Checks that `snapshot` (the whole snapshot this header came from) has
    /// exactly the size the header promises and that its body checksum
    /// matches. One pass of CRC-32C over the body; nothing is decoded.
    public func checkBody(of snapshot: [UInt8]) -> SnapshotBodyStatus {
        snapshot.withUnsafeBytes { checkBody(ofBytes: $0) }
    }

    /// The same over the snapshot's bytes wherever they lie.
    public func checkBody(ofBytes snapshot: UnsafeRawBufferPointer) -> SnapshotBodyStatus {
        guard UInt64(snapshot.count) == snapshotSize else {
            return .wrongSize(expected: snapshotSize, actual: UInt64(snapshot.count))
        }
        let end = Self.size + Int(bodyLength)
        let stored = UInt32(littleEndian: snapshot.loadUnaligned(fromByteOffset: end, as: UInt32.self))
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: snapshot[Self.size..<end]))
        return stored == computed ? .intact : .checksumMismatch(stored: stored, computed: computed)
    }
}

/// What ``SnapshotHeader/checkBody(of:)`` found.
public enum SnapshotBodyStatus: Sendable, Equatable {
    /// The size is right and the body checksum matches.
    case intact
    /// The snapshot is not the size its header promises: truncated (shorter)
    /// or with bytes after the body checksum (longer).
    case wrongSize(expected: UInt64, actual: UInt64)
    /// The body's bytes do not match the checksum stored after them.
    case checksumMismatch(stored: UInt32, computed: UInt32)
}

/// `0x` and eight hex digits, for checksums in messages.
func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
}
