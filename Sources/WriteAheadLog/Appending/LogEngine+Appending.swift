import Synchronization

extension LogEngine {
    /// Runs `body` under the append lock after the health and open checks.
    @inline(__always)
    func appending<R>(_ operation: String, _ body: (inout AppendState) throws -> R) throws -> R {
        try checkHealthy(operation)
        return try append.withLock { state in
            guard !state.closed else {
                throw WALError(.closed, "the log was closed", operation: operation, path: directory.root)
            }
            return try body(&state)
        }
    }

    /// Appends begin + batch + commit as one contiguous run; `payload`
    /// writes the batch payload into the buffer.
    @usableFromInline
    func appendTransaction(_ payload: (inout [UInt8]) throws -> Void) throws -> (begin: LSN, commit: LSN) {
        let lsns = try appending("commit") { state in
            try rotateIfDue(&state)
            let begin = state.nextLSN
            let batch = try begin.successor()
            let commit = try batch.successor()
            let next = try commit.successor()
            let start = state.buffer.count
            try RecordCodec.append(kind: .txBegin, lsn: begin, txBeginLSN: begin, to: &state.buffer)
            do {
                try RecordCodec.append(kind: .mutationBatch, lsn: batch, txBeginLSN: begin, to: &state.buffer, payload: payload)
            } catch {
                state.buffer.removeSubrange(start...)
                state.dropExcessCapacity()
                throw error
            }
            let time = state.commitClock.next()
            let commitStart = state.buffer.count
            try RecordCodec.append(kind: .txCommit, lsn: commit, txBeginLSN: begin, to: &state.buffer) { CommitTime.append(time, to: &$0) }
            state.lastRecord = LogPosition(
                segment: state.segmentID, offset: state.segmentBytes + UInt64(commitStart - start), lsn: commit)
            state.segmentBytes += UInt64(state.buffer.count - start)
            appendedBytes.add(UInt64(state.buffer.count - start), ordering: .relaxed)
            state.nextLSN = next
            return (begin, commit)
        }
        commitCount.add(1, ordering: .relaxed)
        metrics.recordCommit()
        return lsns
    }

    /// Appends one record through the primitives. `validate` checks the
    /// transaction rules against the state before anything is written.
    func appendRecord(
        _ kind: RecordKind, txBeginLSN: LSN?, operation: String,
        validate: (inout AppendState, LSN) throws -> Void = { _, _ in },
        payload: (inout [UInt8]) throws -> Void = { _ in }
    ) throws -> LSN {
        try appending(operation) { state in
            if kind == .txBegin { try rotateIfDue(&state) }
            let lsn = state.nextLSN
            let next = try lsn.successor()
            try validate(&state, lsn)
            let start = state.buffer.count
            if kind == .txCommit {
                let time = state.commitClock.next()
                try RecordCodec.append(kind: kind, lsn: lsn, txBeginLSN: txBeginLSN ?? lsn, to: &state.buffer) { CommitTime.append(time, to: &$0) }
            } else {
                do {
                    try RecordCodec.append(kind: kind, lsn: lsn, txBeginLSN: txBeginLSN ?? lsn, to: &state.buffer, payload: payload)
                } catch {
                    state.dropExcessCapacity()
                    throw error
                }
            }
            state.lastRecord = LogPosition(segment: state.segmentID, offset: state.segmentBytes, lsn: lsn)
            state.segmentBytes += UInt64(state.buffer.count - start)
            appendedBytes.add(UInt64(state.buffer.count - start), ordering: .relaxed)
            state.nextLSN = next
            return lsn
        }
    }

    /// Starts a new segment at this transaction boundary once the active
    /// one is full and no primitive transaction is open. Only the decision
    /// is made here; the writer seals and creates the files.
    private func rotateIfDue(_ state: inout AppendState) throws {
        // A segment holding no record is never sealed (see
        // SegmentHeader.successorBaseLSN): it could be, with a target no
        // larger than a header.
        guard state.segmentBytes >= options.segmentTargetBytes || state.sealsOlderFormat,
            state.segmentBytes > UInt64(SegmentHeader.size), state.openTransactions.isEmpty
        else { return }
        state.sealsOlderFormat = false
        let newID = try state.segmentID.successor()
        state.breaks.append(
            SegmentBreak(
                bufferOffset: state.buffer.count, lastLSNBefore: state.lastAppendedLSN, newID: newID,
                newBaseLSN: state.nextLSN))
        state.segmentID = newID
        state.segmentBytes = UInt64(SegmentHeader.size)
    }
}
