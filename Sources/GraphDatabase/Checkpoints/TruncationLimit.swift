import WriteAheadLog

/// What held a log truncation below the fence asked for.
public enum TruncationLimit: String, Sendable, Equatable {
    /// The snapshots a restart can use cover no further: deleting more
    /// would lose transactions no snapshot holds.
    case snapshots
    /// ``GraphDatabaseConfiguration/logRetention`` returned a lower LSN:
    /// whatever copies the log (an archiver) has not copied further yet.
    case logRetention
}

extension GraphDatabase {
    /// The truncation to make for a fence of `requested`: lowered to
    /// `covered` (what the kept snapshots cover) and to the log retention,
    /// saying which of them lowered it. Deletes nothing.
    ///
    /// Every truncation of the log goes through here, so that nothing the
    /// retention still needs is ever deleted, whoever asks.
    func plannedTruncation(requested: LSN, covered: LSN) -> LogTruncation {
        var truncation = LogTruncation(requestedFence: requested, appliedFence: requested, deletedSegments: [])
        if covered < truncation.appliedFence {
            truncation.appliedFence = covered
            truncation.limitedBy = .snapshots
        }
        if let retention = configuration.logRetention {
            let retained = retention()
            truncation.retentionLSN = retained
            if retained < truncation.appliedFence {
                truncation.appliedFence = retained
                truncation.limitedBy = .logRetention
            }
        }
        return truncation
    }
}
