/// What an ``Archiver`` has done so far, readable at any time without
/// waiting for a round (for metrics and health checks).
public struct ArchiverStatus: Sendable, Equatable {
    /// The last LSN the archive holds (0 for none): the recovery point.
    public var archivedLSN: UInt64 = 0
    /// The last LSN of the log's committed prefix that the latest round saw.
    public var logLSN: UInt64 = 0
    /// The LSN of the newest snapshot in the archive (0 for none).
    public var snapshotLSN: UInt64 = 0
    /// Objects (pieces and snapshots) and bytes shipped by this archiver.
    public var objectsShipped = 0
    public var bytesShipped = 0
    /// Rounds that failed, and the latest failure, cleared by a round that succeeds.
    public var errors = 0
    public var lastError: String?
    /// Whether another writer took the lease over: this archiver never
    /// writes the archive again.
    public var isFenced = false
    /// When a round last ended with everything it saw archived; `nil` until then.
    public var caughtUpAt: ContinuousClock.Instant?
    /// When a round last succeeded.
    public var lastSuccessAt: ContinuousClock.Instant?

    public init() {}

    /// LSNs the log holds that the archive does not (as of the latest round).
    public var lagLSNs: UInt64 { logLSN > archivedLSN ? logLSN - archivedLSN : 0 }
}
