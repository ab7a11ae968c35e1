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
    /// Sealed segments `open` did not read because the fence covers all of
    /// them (see ``SegmentSummary/skippedBelowFence``).
    public var segmentsSkippedBelowFence = 0
    /// What `open` made of the fence position it was given.
    public var fencePosition: FencePositionUse = .notGiven
}
