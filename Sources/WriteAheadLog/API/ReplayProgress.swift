/// How far a replay has read, reported to ``WALOptions/replayProgress``
/// once per segment.
public struct ReplayProgress: Sendable, Equatable {
    /// Bytes of segment files read so far.
    public var scannedBytes: UInt64
    /// Bytes of all segment files the replay will read.
    public var totalBytes: UInt64

    public init(scannedBytes: UInt64, totalBytes: UInt64) {
        self.scannedBytes = scannedBytes
        self.totalBytes = totalBytes
    }
}
