/// Where one record starts in the log: its segment, its byte offset in that
/// segment's file, and its LSN.
///
/// A snapshot consistent with LSN `L` can keep the position of record `L`
/// (``WAL/position(of:)``). Handed back to `open` with the fence `L`, it
/// lets replay begin reading right after that record instead of at the
/// start of the segment that holds the fence: the records before it are at
/// or below the fence, so the snapshot holds them, as it holds the covered
/// segments `open` does not read at all. The position is only a hint:
/// `open` uses it when a valid record with exactly that LSN starts there,
/// and otherwise reads the segment from its start and says why
/// (``ReplayReport/fencePosition``).
public struct LogPosition: Sendable, Hashable, CustomStringConvertible {
    public var segment: SegmentID
    /// The offset of the record's first byte in the segment file.
    public var offset: UInt64
    public var lsn: LSN

    public init(segment: SegmentID, offset: UInt64, lsn: LSN) {
        self.segment = segment
        self.offset = offset
        self.lsn = lsn
    }

    public var description: String { "LSN \(lsn) at offset \(offset) of segment \(segment)" }
}

/// What `open` made of the fence position it was given.
public enum FencePositionUse: Sendable, Equatable {
    /// None was given, or there was no fence.
    case notGiven
    /// Reading began right after the record it names; `skippedBytes`
    /// bytes of that segment, all at or below the fence, were not read.
    case used(skippedBytes: UInt64)
    /// Not used, and not needed: its segment was skipped whole as covered,
    /// the log holds no such segment any more (truncated, or set aside),
    /// or salvage stopped at damage before reaching it.
    case notNeeded
    /// It does not match the log, so the segment was read from its start.
    case ignored(reason: String)
}
