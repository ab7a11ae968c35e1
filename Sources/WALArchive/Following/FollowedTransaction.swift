import WriteAheadLog

/// A committed transaction read from an archive by an ``ArchiveFollower``.
public struct FollowedTransaction<Event: WALEvent>: Sendable {
    public var beginLSN: LSN
    public var commitLSN: LSN
    /// When it committed, in microseconds since 1970 (UTC); nil for a log
    /// of segment format 1, whose commit records carry no time.
    public var commitTime: Int64?
    /// Its events, in the order they were logged.
    public var events: [Event]

    public init(beginLSN: LSN, commitLSN: LSN, commitTime: Int64?, events: [Event]) {
        self.beginLSN = beginLSN
        self.commitLSN = commitLSN
        self.commitTime = commitTime
        self.events = events
    }
}

/// What one ``ArchiveFollower/poll(_:)`` did.
public struct FollowRound: Sendable, Equatable {
    /// The head's last LSN as this poll read it.
    public var archiveLSN: LSN = .none
    /// Everything up to this LSN was handed over and accepted (see
    /// ``ArchiveFollower/appliedLSN``).
    public var appliedLSN: LSN = .none
    /// Transactions handed over and accepted in this poll.
    public var applied = 0
    /// Pieces downloaded and checked in this poll.
    public var piecesRead = 0
    /// Whether a transaction was declined and waits for the next poll.
    public var isWaiting = false
}
