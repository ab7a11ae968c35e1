import WriteAheadLog

/// A snapshot recovery could not use, and why.
public struct SkippedSnapshot: Sendable, Equatable {
    public var path: String
    public var reason: String
}

/// What `GraphDatabase.open` recovered.
public struct RecoveryReport: Sendable {
    /// The snapshot the graph was loaded from, if any.
    public var snapshotPath: String?
    /// The WAL LSN that snapshot is consistent with (the replay fence).
    public var snapshotLSN: LSN = .none
    /// Newer snapshots that were corrupt and passed over.
    public var skippedSnapshots: [SkippedSnapshot] = []
    /// What replaying the log found (nil without a log).
    public var wal: ReplayReport?
    public var transactionsReplayed = 0
    public var eventsReplayed = 0
    /// The log holds a checkpoint marker newer than the snapshot used: a
    /// newer snapshot was written but is missing or unusable.
    public var newerCheckpointInLog: CheckpointMarker?
    /// How long recovery took.
    public var duration: Duration = .zero
}
