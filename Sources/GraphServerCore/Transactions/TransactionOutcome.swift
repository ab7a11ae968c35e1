/// What `POST /tx` answers: `{"lsn": N, "durable": bool, "created": {...}}`.
struct TransactionOutcome: Sendable, Equatable {
    /// The commit record's LSN; 0 when the transaction wrote nothing.
    var lsn: UInt64
    /// Whether everything the transaction wrote is on stable storage.
    var durable: Bool
    /// The id of each entity created under a `ref`.
    var created: [String: UInt64]

    var json: JSONValue {
        let refs = JSONObject(created.keys.sorted().map { ($0, .integer(Int64(clamping: created[$0] ?? 0))) })
        return ["lsn": .integer(Int64(clamping: lsn)), "durable": .bool(durable), "created": .object(refs)]
    }
}
