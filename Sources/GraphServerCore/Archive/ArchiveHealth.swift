import WALArchive

/// The archive's state at one instant, as `/health` and `/metrics` report
/// it: the archiver's status measured against the local log and the clock.
struct ArchiveHealth: Sendable, Equatable {
    /// What `/health` says about the archive.
    enum State: String, Sendable {
        case ok
        /// Records have waited longer than the allowed lag.
        case lagging
        /// Rounds have been failing for longer than the allowed lag.
        case failing
        /// Another server took the archive's lease over: this one never
        /// archives again (its commits stay local), said at once.
        case fenced
    }

    var status: ArchiverStatus
    /// The newest LSN of the log: what the archive should reach.
    var logLSN: UInt64
    /// LSNs the log holds that the archive does not.
    var lagLSNs: UInt64
    /// Time since the archive last caught up with the log; 0 when it holds
    /// everything the log does. An upper bound on the age of the oldest
    /// record not archived yet.
    var lagSeconds: Double
    /// Time since the last round that succeeded (or since the archiver
    /// started) while the last round failed; 0 otherwise.
    var failingSeconds: Double
    var maxLagSeconds: Double

    /// - Parameters:
    ///   - localLSN: the last LSN written to the local log (the archiver's
    ///     status is as of its latest round; commits since count too).
    ///   - startedAt: when the archiver started, standing in for "last
    ///     caught up" and "last succeeded" until a round does.
    init(status: ArchiverStatus, localLSN: UInt64, startedAt: ContinuousClock.Instant, maxLag: Duration, now: ContinuousClock.Instant) {
        self.status = status
        logLSN = max(status.logLSN, localLSN)
        lagLSNs = logLSN > status.archivedLSN ? logLSN - status.archivedLSN : 0
        lagSeconds = lagLSNs == 0 ? 0 : Self.seconds(now - (status.caughtUpAt ?? startedAt))
        failingSeconds = status.lastError == nil ? 0 : Self.seconds(now - (status.lastSuccessAt ?? startedAt))
        maxLagSeconds = Self.seconds(maxLag)
    }

    var lastRoundFailed: Bool { status.lastError != nil }

    var state: State {
        if status.isFenced { return .fenced }
        if failingSeconds > maxLagSeconds { return .failing }
        if lagSeconds > maxLagSeconds { return .lagging }
        return .ok
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return max(0, Double(seconds) + Double(attoseconds) / 1e18)
    }
}
