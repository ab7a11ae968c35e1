/// The framing of one record, byte by byte (see docs/FORMAT.md):
///
/// ```
/// u32 length      total bytes of the record, this field to checksum inclusive
/// u8  kind
/// u64 lsn
/// u64 txBeginLSN  owning transaction; a begin names itself; checkpoint: snapshot LSN
/// ... payload
/// u32 checksum    CRC-32C over length..payload
/// ```
public struct RecordFrame: Sendable, Equatable {
    public var kind: RecordKind
    public var lsn: LSN
    /// The owning transaction; for a checkpoint, the snapshot's LSN.
    public var txBeginLSN: LSN
    /// Where the payload starts, relative to the buffer the frame was parsed from.
    public var payloadOffset: Int
    public var payloadCount: Int
    /// The whole record's size on disk.
    public var size: Int

    /// Byte offsets of the header's fields within a record, as in the layout above.
    package enum Field {
        package static let length = 0
        package static let kind = 4
        package static let lsn = 5
        package static let txBeginLSN = 13
        package static let payload = 21
    }

    /// Bytes before the payload: length, kind, lsn, txBeginLSN.
    public static let headerSize = Field.payload
    /// Bytes after the payload: the checksum.
    public static let trailerSize = 4
    /// The smallest possible record: a marker with no payload.
    public static let minimumSize = headerSize + trailerSize
    /// A record may not exceed 256 MiB, so a corrupt length cannot make
    /// recovery allocate gigabytes.
    public static let maximumSize = 256 << 20
}
