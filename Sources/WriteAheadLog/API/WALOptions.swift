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
    /// Called during replay once per segment, with how far it got, on the
    /// thread that opens the log.
    public var replayProgress: (@Sendable (ReplayProgress) -> Void)?
    /// Whether `open` reads the log on a second thread while the calling
    /// thread hands transactions over: about twice as fast on two cores when
    /// applying a transaction costs what reading it does. Nothing the caller
    /// sees changes: the same transactions, progress notes and report, on
    /// the calling thread. Ignored on a machine with one processor.
    /// Default: true.
    public var replayReadsAhead: Bool
    /// The file system the log runs on: the real one, or a simulated one in tests.
    package var fileSystem: any FileSystem

    public init(
        syncMode: SyncMode = .default,
        segmentTargetBytes: UInt64 = 64 << 20,
        recoveryMode: RecoveryMode = .strict,
        writeMode: WriteMode = .mappedSegments,
        replayProgress: (@Sendable (ReplayProgress) -> Void)? = nil,
        replayReadsAhead: Bool = true
    ) {
        self.syncMode = syncMode
        self.segmentTargetBytes = segmentTargetBytes
        self.recoveryMode = recoveryMode
        self.writeMode = writeMode
        self.replayProgress = replayProgress
        self.replayReadsAhead = replayReadsAhead
        self.fileSystem = PosixFileSystem()
    }
}
