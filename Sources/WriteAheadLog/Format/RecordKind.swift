/// The kind byte of a record.
public enum RecordKind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// One event of a transaction.
    case mutation = 1
    /// Opens a transaction; its LSN names the transaction.
    case txBegin = 2
    /// Makes a transaction's events visible to replay.
    case txCommit = 3
    /// Discards a transaction's events.
    case txAbort = 4
    /// Notes that a snapshot consistent with an LSN was written.
    case checkpoint = 5
    /// Several events of one transaction in one record.
    case mutationBatch = 6

    public var description: String {
        switch self {
        case .mutation: "mutation"
        case .txBegin: "txBegin"
        case .txCommit: "txCommit"
        case .txAbort: "txAbort"
        case .checkpoint: "checkpoint"
        case .mutationBatch: "mutationBatch"
        }
    }
}
