import WALArchive

/// What a read replica has done so far, for `/health`, `/metrics` and the
/// refusals it answers writes with.
public struct ReplicaStatus: Sendable, Equatable {
    public enum Role: String, Sendable {
        /// Restoring the newest snapshot, before the first round succeeded.
        case starting
        /// Following the archive: reads served, writes refused.
        case following
        /// A promotion is running.
        case promoting
        /// Promoted: the primary now, writing and archiving.
        case primary
    }

    public var role = Role.starting
    /// The commit LSN of the newest transaction applied (the snapshot's before any).
    public var appliedLSN: UInt64 = 0
    /// The archive head's last LSN as last read.
    public var archiveLSN: UInt64 = 0
    /// The LSN of the snapshot the replica started from (0: none).
    public var snapshotLSN: UInt64 = 0
    public var transactionsApplied = 0
    /// Who leases the archive: the primary, as the lease names it.
    public var leaseHolder: String?
    /// What the replica waits for before it can apply the next transaction
    /// (a snapshot a load on the primary names that is not archived yet).
    public var waitingFor: String?
    public var errors = 0
    public var lastError: String?
    /// When the replica last held everything the head named.
    public var caughtUpAt: ContinuousClock.Instant?
    public var lastSuccessAt: ContinuousClock.Instant?

    /// Whether reads are served: once the replica restored a starting point.
    public var isReady: Bool { role != .starting }

    /// The same measures as the archiver's: applied stands for archived,
    /// the head for the log; ``ArchiveHealth`` turns them into lag.
    var asArchiverStatus: ArchiverStatus {
        var status = ArchiverStatus()
        status.archivedLSN = appliedLSN
        status.logLSN = archiveLSN
        status.snapshotLSN = snapshotLSN
        status.errors = errors
        status.lastError = lastError
        status.caughtUpAt = caughtUpAt
        status.lastSuccessAt = lastSuccessAt
        return status
    }
}
