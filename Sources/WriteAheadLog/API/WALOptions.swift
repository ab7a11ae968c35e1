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
    /// Called during replay once per segment, with how far it got.
    public var replayProgress: (@Sendable (ReplayProgress) -> Void)?
    /// The file system the log runs on: the real one, or a simulated one in tests.
    package var fileSystem: any FileSystem

    public init(
        syncMode: SyncMode = .default,
        segmentTargetBytes: UInt64 = 64 << 20,
        recoveryMode: RecoveryMode = .strict,
        writeMode: WriteMode = .mappedSegments,
        replayProgress: (@Sendable (ReplayProgress) -> Void)? = nil
    ) {
        self.syncMode = syncMode
        self.segmentTargetBytes = segmentTargetBytes
        self.recoveryMode = recoveryMode
        self.writeMode = writeMode
        self.replayProgress = replayProgress
        self.fileSystem = PosixFileSystem()
    }
}
