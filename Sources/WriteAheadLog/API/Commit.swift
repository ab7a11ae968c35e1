/// The LSNs of one committed transaction.
public struct Commit: Sendable, Equatable {
    /// The transaction's begin record; it names the transaction.
    public var beginLSN: LSN
    /// The commit record. The transaction is durable once `durableLSN` reaches it.
    public var commitLSN: LSN
    /// Whether an fsync covered the commit before the call returned.
    public var isDurable: Bool

    @usableFromInline
    init(beginLSN: LSN, commitLSN: LSN, isDurable: Bool) {
        self.beginLSN = beginLSN
        self.commitLSN = commitLSN
        self.isDurable = isDurable
    }
}
