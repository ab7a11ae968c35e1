/// What the log looks like right now, for operators.
public struct WALStatus: Sendable, Equatable {
    public var directory: String
    public var syncMode: SyncMode
    /// Every record up to here survived an fsync.
    public var durableLSN: LSN
    /// Every record up to here is in the kernel.
    public var writtenLSN: LSN
    /// The LSN the next record gets.
    public var nextLSN: LSN
    public var activeSegment: SegmentID
    public var oldestSegment: SegmentID
    public var segmentCount: Int
    /// Bytes of all segment files.
    public var totalBytes: UInt64
    /// The write or fsync failure that poisoned the log, if one did.
    public var failure: WALError?
}
