/// What one segment held, as replay saw it.
public struct SegmentSummary: Sendable, Equatable {
    public var id: SegmentID
    public var path: String
    public var baseLSN: LSN
    public var isSealed: Bool
    /// The first and last LSN of a valid record, `.none` for an empty segment.
    public var firstLSN: LSN
    public var lastLSN: LSN
    /// The file's size on disk.
    public var fileBytes: UInt64
    /// Where the last valid record ends.
    public var validBytes: UInt64
    public var records: Int
    /// The segment format version its header names (docs/FORMAT.md).
    public var formatVersion: UInt16 = SegmentHeader.currentVersion
}
