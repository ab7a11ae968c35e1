/// One committed transaction as replay hands it over.
public struct CommittedTransaction<Event: WALEvent>: Sendable {
    /// The LSN of the transaction's begin record; it names the transaction.
    public var beginLSN: LSN
    /// The LSN of its commit record.
    public var commitLSN: LSN
    /// Its events, in the order they were appended.
    public var events: [Event]
}
