/// How an ``Archiver`` ships a log.
public struct ArchiverOptions: Sendable {
    /// The key prefix of the archive in its store (`s3://bucket/<prefix>`).
    public var prefix: String
    /// Fsync each segment file the archiver read from before shipping what
    /// it read. On by default: a record read from the page cache of a live
    /// log may not be on disk yet, and shipping it before it is durable
    /// would let a power loss leave the archive ahead of the local log,
    /// whose next records would then reuse the archived LSNs. Turn it off
    /// only for a log that is closed and synced.
    public var syncsLogBeforeShipping: Bool
    /// How often ``Archiver/run(onError:)`` ships. Default 1 s.
    public var archiveInterval: Duration
    /// Where the snapshots to ship come from; `nil` ships the log alone.
    public var snapshots: (any SnapshotSource)?
    /// The name this archiver holds the lease under; `nil` for the host
    /// name and the log directory, which stay the same across restarts of
    /// one primary and differ between machines.
    public var holder: String?
    /// Take the lease from another holder (raising the epoch, which fences
    /// it) instead of refusing. Only when that holder is gone for good: a
    /// promotion, or a primary replaced by a new machine.
    public var takesOver: Bool

    public init(
        prefix: String = "", syncsLogBeforeShipping: Bool = true, archiveInterval: Duration = .seconds(1),
        snapshots: (any SnapshotSource)? = nil, holder: String? = nil, takesOver: Bool = false
    ) {
        self.prefix = prefix
        self.syncsLogBeforeShipping = syncsLogBeforeShipping
        self.archiveInterval = archiveInterval
        self.snapshots = snapshots
        self.holder = holder
        self.takesOver = takesOver
    }
}

/// What one ``Archiver/archiveOnce()`` did.
public struct ArchiveRound: Sendable, Equatable {
    /// The keys of the pieces shipped, in LSN order.
    public var shipped: [String] = []
    /// Bytes shipped: piece bodies and snapshots.
    public var bytes = 0
    /// The last LSN the archive holds after the round (0 for none).
    public var archivedLSN: UInt64 = 0
    /// The last LSN of the log's committed prefix this round saw.
    public var logLSN: UInt64 = 0
    /// Pieces an interrupted earlier round stored but never acknowledged in
    /// the head, removed before shipping.
    public var removedLeftovers: [String] = []
    /// The keys of the snapshots shipped in this round, oldest first.
    public var shippedSnapshots: [String] = []
    /// The LSN of the newest snapshot the archive holds after the round (0 for none).
    public var snapshotLSN: UInt64 = 0
}
