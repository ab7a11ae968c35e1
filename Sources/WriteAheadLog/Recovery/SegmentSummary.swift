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
    /// Set when `open` did not read the segment's records: it is sealed and
    /// the next segment's base LSN shows that every record in it is at or
    /// below the fence, so the snapshot holds them. Its LSNs are then those
    /// the headers imply; `records` is 0 and `validBytes` the file's size.
    public var skippedBelowFence = false
}
