import WALArchive

/// How the server archives its log (`--archive`, `--archive-interval`,
/// `--archive-max-lag`).
public struct ArchiveSettings: Sendable {
    /// Where the archive lives: `s3://bucket/prefix` or `file:///path`.
    public var location: ArchiveLocation
    /// How long the archiver waits between rounds.
    public var interval: Duration
    /// `/health` says `degraded` once the archive has been behind the log,
    /// or its rounds have been failing, for longer than this.
    public var maxLag: Duration
    /// How long shutdown waits for the last round, which ships what the
    /// final requests committed. Beyond it the server stops anyway: those
    /// records stay in the local log, and the next start ships them.
    public var finalRoundTimeout: Duration

    public init(
        location: ArchiveLocation, interval: Duration = .seconds(1), maxLag: Duration = .seconds(30),
        finalRoundTimeout: Duration = .seconds(10)
    ) {
        self.location = location
        self.interval = interval
        self.maxLag = maxLag
        self.finalRoundTimeout = finalRoundTimeout
    }
}
