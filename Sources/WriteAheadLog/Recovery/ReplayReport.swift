/// One committed transaction as replay hands it over.
public struct CommittedTransaction<Event: WALEvent>: Sendable {
    /// The LSN of the transaction's begin record; it names the transaction.
    public var beginLSN: LSN
    /// The LSN of its commit record.
    public var commitLSN: LSN
    /// Its events, in the order they were appended.
    public var events: [Event]
}

/// What one segment held, as replay saw it.
public struct SegmentSummary: Sendable, Equatable {
    public var id: SegmentID
    public var path: String
    public var baseLSN: LSN
    public var isSealed: Bool
    /// The first and last LSN of a valid record, `.none` for an empty segment.
    public var firstLSN: LSN
    public var lastLSN: LSN
    /// The file's size on disk.
    public var fileBytes: UInt64
    /// Where the last valid record ends.
    public var validBytes: UInt64
    public var records: Int
}

/// Bytes after the last valid record of the active segment, with nothing
/// valid after them: what a crash mid-write leaves. `open` cuts them off.
public struct TornTail: Sendable, Equatable {
    public var segment: SegmentID
    public var path: String
    /// Where the last valid record ends; everything from here is cut.
    public var offset: UInt64
    /// The file size before cutting.
    public var fileBytes: UInt64
    public var reason: String
}

/// Damage replay stopped at in salvage mode.
public struct DamageReport: Sendable, Equatable {
    public var segment: SegmentID
    public var path: String
    public var offset: UInt64
    /// The last LSN kept.
    public var lastGoodLSN: LSN
    public var reason: String
}

/// A file that salvage recovery set aside.
public struct QuarantinedFile: Sendable, Equatable {
    public var original: String
    public var quarantined: String
    /// Whether the original was cut to its valid prefix (the damaged segment)
    /// or moved away whole (a later segment).
    public var keptValidPrefix: Bool
}

/// What `open` did when the log ended below the fence it was opened with.
///
/// The snapshot the fence names covers every record the log held, and the
/// LSNs the log would have handed out next lay at or below the fence, where
/// the next recovery would have skipped them. So the old segments were moved
/// into `superseded/` (nothing deleted) and the log continues in a new
/// segment whose first LSN is `fence + 1`.
public struct FenceContinuation: Sendable, Equatable {
    /// The fence the log was opened with.
    public var fence: LSN
    /// The highest LSN the log held (or had reserved) before.
    public var logEnd: LSN
    /// The highest segment id moved aside; the new segment follows it.
    public var lastSetAside: SegmentID
    /// The segments moved into `superseded/`, oldest first.
    public var setAside: [QuarantinedFile]
}

/// The newest checkpoint marker in the log.
public struct CheckpointMarker: Sendable, Equatable {
    /// The marker record's own LSN.
    public var markerLSN: LSN
    /// The LSN the snapshot it announces is consistent with.
    public var snapshotLSN: LSN
}

/// Everything replay learned about a log.
public struct ReplayReport: Sendable {
    /// The highest LSN of any valid record, committed or not.
    public var maxLSN: LSN = .none
    /// Transactions handed to the caller (committed above the fence).
    public var transactionsReplayed = 0
    /// Events handed to the caller.
    public var eventsReplayed = 0
    /// Committed transactions at or below the fence, skipped.
    public var transactionsBelowFence = 0
    /// Transactions that ended with an abort record.
    public var transactionsAborted = 0
    /// Transactions with no commit or abort by the end of the log, dropped.
    public var transactionsIncomplete = 0
    /// Every segment in id order, as far as replay read.
    public var segments: [SegmentSummary] = []
    public var tornTail: TornTail?
    /// In salvage mode: the damage replay stopped at.
    public var damage: DamageReport?
    /// In salvage mode, after `open`: what was set aside.
    public var quarantined: [QuarantinedFile] = []
    /// After `open`: set when the log ended below the fence and continues above it.
    public var continuedAboveFence: FenceContinuation?
    public var newestCheckpoint: CheckpointMarker?
    /// Bytes of segment files read.
    public var bytesScanned: UInt64 = 0
}
