import WALArchive

/// How the server archives its log (`--archive` and the `--archive-*` flags).
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
    /// `--archive-key-file`: encrypt every object with this key (AES-256-GCM).
    public var keyFile: String?
    /// `--archive-retain` and `--archive-retain-for`: which restore points
    /// the archive keeps; `nil` keeps everything.
    public var retention: RetentionPolicy?
    /// `--archive-holder`: the name the lease is held under (default: the
    /// host and the log directory).
    public var holder: String?
    /// `--archive-take-over`: take the lease from another holder, fencing it.
    public var takesOver: Bool
    /// `--replica-of`: follow this archive as a read replica (writing it
    /// only once promoted) instead of shipping this server's log to it.
    public var isReplica = false

    public init(
        location: ArchiveLocation, interval: Duration = .seconds(1), maxLag: Duration = .seconds(30),
        finalRoundTimeout: Duration = .seconds(10), keyFile: String? = nil, retention: RetentionPolicy? = nil,
        holder: String? = nil, takesOver: Bool = false
    ) {
        self.location = location
        self.interval = interval
        self.maxLag = maxLag
        self.finalRoundTimeout = finalRoundTimeout
        self.keyFile = keyFile
        self.retention = retention
        self.holder = holder
        self.takesOver = takesOver
    }
}
