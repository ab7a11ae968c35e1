/// Record-level primitives, for tests, tools and admin paths.
///
/// Production code commits with ``WAL/commit(_:durability:)``, which writes
/// a whole transaction at once. These write one record each, into the
/// append buffer only: nothing reaches the kernel until the next commit,
/// `flush` or `sync`. Rotation waits while a transaction begun here is open.
extension WAL {
    /// Appends a begin record; its LSN names the new transaction.
    public func begin() throws -> LSN {
        try engine.appendRecord(.txBegin, txBeginLSN: nil, operation: "begin") { state, lsn in
            state.openTransactions.insert(lsn)
        }
    }

    /// Appends one event to an open transaction.
    public func append(_ event: Event, to transaction: LSN) throws -> LSN {
        try engine.appendRecord(
            .mutation, txBeginLSN: transaction, operation: "append",
            validate: { state, lsn in try Self.requireOpen(transaction, in: state, at: lsn) },
            payload: { buffer in try event.encode(into: &buffer) })
    }

    /// Appends several events to an open transaction as one record.
    public func appendBatch(_ events: some Collection<Event>, to transaction: LSN) throws -> LSN {
        guard !events.isEmpty else {
            throw WALError(.invalidArgument, "a batch needs at least one event", operation: "appendBatch", lsn: transaction)
        }
        return try engine.appendRecord(
            .mutationBatch, txBeginLSN: transaction, operation: "appendBatch",
            validate: { state, lsn in try Self.requireOpen(transaction, in: state, at: lsn) },
            payload: { buffer in try RecordCodec.appendBatchPayload(events, to: &buffer) })
    }

    /// Appends a commit record for an open transaction, ending it.
    public func commit(transaction: LSN) throws -> LSN {
        try engine.appendRecord(.txCommit, txBeginLSN: transaction, operation: "commit marker") { state, lsn in
            try Self.requireOpen(transaction, in: state, at: lsn)
            state.openTransactions.remove(transaction)
        }
    }

    /// Appends an abort record: replay drops the transaction's events.
    public func abort(_ transaction: LSN) throws -> LSN {
        try engine.appendRecord(.txAbort, txBeginLSN: transaction, operation: "abort") { state, lsn in
            try Self.requireOpen(transaction, in: state, at: lsn)
            state.openTransactions.remove(transaction)
        }
    }

    /// Appends a checkpoint marker saying a snapshot consistent with
    /// `snapshotLSN` was written. It must not point past the last record
    /// written, nor before the previous marker's snapshot.
    public func recordCheckpoint(snapshotLSN: LSN) throws -> LSN {
        try engine.appendRecord(.checkpoint, txBeginLSN: snapshotLSN, operation: "checkpoint marker") { state, lsn in
            guard snapshotLSN < lsn else {
                throw WALError(
                    .invalidArgument, "snapshot LSN \(snapshotLSN) is in the future: the last record is \(state.lastAppendedLSN)",
                    operation: "checkpoint marker", lsn: snapshotLSN)
            }
            guard snapshotLSN >= state.newestSnapshotLSN else {
                throw WALError(
                    .invalidArgument, "snapshot LSN \(snapshotLSN) goes back from the previous checkpoint's \(state.newestSnapshotLSN)",
                    operation: "checkpoint marker", lsn: snapshotLSN)
            }
            state.newestSnapshotLSN = snapshotLSN
        }
    }

    @available(*, deprecated, renamed: "commit(transaction:)")
    public func commitMarker(for transaction: LSN) throws -> LSN { try commit(transaction: transaction) }

    @available(*, deprecated, renamed: "recordCheckpoint(snapshotLSN:)")
    public func checkpointMarker(snapshotLSN: LSN) throws -> LSN { try recordCheckpoint(snapshotLSN: snapshotLSN) }

    private static func requireOpen(_ transaction: LSN, in state: AppendState, at lsn: LSN) throws {
        guard state.openTransactions.contains(transaction) else {
            throw WALError(
                .invalidArgument, "transaction \(transaction) has no open begin", operation: "append", lsn: transaction)
        }
    }
}
