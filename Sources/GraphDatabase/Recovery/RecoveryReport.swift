import WriteAheadLog

/// A snapshot recovery could not use, and why.
public struct SkippedSnapshot: Sendable, Equatable {
    public var path: String
    public var reason: String
}

/// A managed snapshot whose file name claims another LSN than its
/// checksummed header: copied in or renamed by hand. Recovery, pruning and
/// log truncation go by the header, so the name cannot make an old
/// snapshot look newest.
public struct MisnamedSnapshot: Sendable, Equatable {
    public var path: String
    /// The LSN the file name claims.
    public var nameLSN: LSN
    /// The LSN the snapshot's header is stamped with: the one used.
    public var headerLSN: LSN
}

/// What `GraphDatabase.open` recovered.
public struct RecoveryReport: Sendable {
    /// The snapshot the graph was loaded from, if any.
    public var snapshotPath: String?
    /// The WAL LSN that snapshot is consistent with (the replay fence).
    public var snapshotLSN: LSN = .none
    /// Newer snapshots that were corrupt and passed over.
    public var skippedSnapshots: [SkippedSnapshot] = []
    /// Managed snapshots whose name disagrees with their header; each was
    /// treated as its header says.
    public var misnamedSnapshots: [MisnamedSnapshot] = []
    /// Temporary snapshot files (`*.snap.tmp`) a crash mid-write left
    /// behind, removed on open.
    public var removedTemporaryFiles: [String] = []
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

/// An ``MutationEvent/annotation(name:text:)`` that recovery replayed from
/// the log, with the LSN of the transaction that carried it.
public struct RecoveredAnnotation: Sendable, Equatable {
    /// The commit LSN of the transaction the annotation belongs to.
    public var commitLSN: LSN
    public var name: String
    public var text: String
}
