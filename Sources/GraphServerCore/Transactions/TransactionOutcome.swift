/// What `POST /tx` answers: `{"lsn": N, "durable": bool, "created": {...}}`.
public struct TransactionOutcome: Sendable, Equatable {
    /// The commit record's LSN; 0 when the transaction wrote nothing.
    public var lsn: UInt64
    /// Whether everything the transaction wrote is on stable storage.
    public var durable: Bool
    /// The id of each entity created under a `ref`.
    public var created: [String: UInt64]

    public var json: JSONValue {
        let refs = JSONObject(created.keys.sorted().map { ($0, .integer(Int64(clamping: created[$0] ?? 0))) })
        return ["lsn": .integer(Int64(clamping: lsn)), "durable": .bool(durable), "created": .object(refs)]
    }
}
