/// How a log is opened and run.
public struct WALOptions: Sendable {
    /// When commits are fsynced. Default: `groupSync` every 50 ms.
    public var syncMode: SyncMode
    /// The active segment is rotated at the next transaction boundary once
    /// it holds this many bytes. Default 64 MiB.
    public var segmentTargetBytes: UInt64
    /// What `open` does with damage. Default: `strict`.
    public var recoveryMode: RecoveryMode
    /// How commit bytes reach the kernel. Default: `.mappedSegments`.
    public var writeMode: WriteMode
    /// Called during replay with (bytes scanned, total bytes), once per segment.
    public var replayProgress: (@Sendable (UInt64, UInt64) -> Void)?
    /// The file system the log runs on: the real one, or a simulated one in tests.
    package var fileSystem: any FileSystem

    public init(
        syncMode: SyncMode = .default,
        segmentTargetBytes: UInt64 = 64 << 20,
        recoveryMode: RecoveryMode = .strict,
        writeMode: WriteMode = .mappedSegments,
        replayProgress: (@Sendable (UInt64, UInt64) -> Void)? = nil
    ) {
        self.syncMode = syncMode
        self.segmentTargetBytes = segmentTargetBytes
        self.recoveryMode = recoveryMode
        self.writeMode = writeMode
        self.replayProgress = replayProgress
        self.fileSystem = PosixFileSystem()
    }
}

/// How commit bytes reach the kernel. Either way they are there before a
/// commit returns, so a killed process loses nothing committed.
public enum WriteMode: String, Sendable, CaseIterable {
    /// Segments are preallocated (`fallocate`) and written through a shared
    /// mapping: a commit is a copy into page-cache pages, with no system
    /// call. Preallocation keeps file-size changes out of every fdatasync
    /// and reserves the blocks, so a full disk fails at preallocation with
    /// a clear error instead of faulting a write into the mapping. Falls
    /// back to `.writeCalls` where the file system cannot preallocate.
    ///
    /// Under `SyncMode.always` segments are preallocated but not mapped:
    /// each group of commits is written with one `pwrite`. Every group is
    /// followed by an fdatasync there, which for mapped pages must first
    /// write-protect them on every core; that costs more than the write
    /// call it saves (see Benchmarks/README.md).
    case mappedSegments
    /// One `pwrite` per group of commits.
    case writeCalls
}

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
    /// Why the log is poisoned, if it is.
    public var failure: String?
}

/// The LSNs of one committed transaction.
public struct Commit: Sendable, Equatable {
    /// The transaction's begin record; it names the transaction.
    public var beginLSN: LSN
    /// The commit record. The transaction is durable once `durableLSN` reaches it.
    public var commitLSN: LSN
    /// Whether an fsync covered the commit before the call returned.
    public var isDurable: Bool

    @usableFromInline
    init(beginLSN: LSN, commitLSN: LSN, isDurable: Bool) {
        self.beginLSN = beginLSN
        self.commitLSN = commitLSN
        self.isDurable = isDurable
    }
}
