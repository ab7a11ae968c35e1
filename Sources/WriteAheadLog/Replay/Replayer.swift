/// Turns the record stream of a log into committed transactions.
///
/// Events are buffered per open transaction and released only when its
/// commit record is read; an abort, or the end of the log, drops them.
/// Transaction rules (a begin before its records, no duplicate begin,
/// checkpoints that neither point ahead nor go back) are enforced here.
struct Replayer<Event: WALEvent> {
    private struct OpenTransaction {
        var events: [Event] = []
        /// Some of its records are at or below the fence and were not decoded.
        var hasRecordsBelowFence = false
    }

    let fence: LSN
    private var open: [LSN: OpenTransaction] = [:]
    private var newestSnapshotLSN: LSN?
    /// Counters and the newest checkpoint, copied into the report at the end
    /// (the walker owns the report while the walk runs).
    private var tally = ReplayReport()

    init(fence: LSN) { self.fence = fence }

    mutating func visit(
        _ frame: RecordFrame, _ bytes: UnsafeRawBufferPointer,
        deliver: (CommittedTransaction<Event>) throws -> Void
    ) throws {
        let lsn = frame.lsn
        switch frame.kind {
        case .txBegin:
            try requireEmptyPayload(frame)
            guard frame.txBeginLSN == lsn else {
                if open[frame.txBeginLSN] != nil {
                    throw WALError(.structural, "duplicate begin for transaction \(frame.txBeginLSN), which is already open", lsn: lsn)
                }
                throw WALError(.structural, "begin record names transaction \(frame.txBeginLSN) instead of itself", lsn: lsn)
            }
            open[lsn] = OpenTransaction()

        case .mutation, .mutationBatch:
            guard open[frame.txBeginLSN] != nil else {
                throw WALError(.structural, "\(frame.kind) references transaction \(frame.txBeginLSN), which has no open begin", lsn: lsn)
            }
            if lsn <= fence {
                open[frame.txBeginLSN]?.hasRecordsBelowFence = true
            } else {
                try RecordCodec.forEachEvent(in: frame, of: bytes, as: Event.self) { event in
                    open[frame.txBeginLSN]?.events.append(event)
                }
            }

        case .txCommit:
            try requireEmptyPayload(frame)
            guard let transaction = open.removeValue(forKey: frame.txBeginLSN) else {
                throw WALError(.structural, "commit references transaction \(frame.txBeginLSN), which has no open begin", lsn: lsn)
            }
            if lsn <= fence {
                tally.transactionsBelowFence += 1
                return
            }
            // A snapshot holds whole transactions, so one committed above the
            // fence whose earlier records are below it cannot be replayed exactly.
            guard !transaction.hasRecordsBelowFence else {
                throw WALError(
                    .structural,
                    "transaction \(frame.txBeginLSN) straddles the checkpoint fence \(fence): it began at or below it but commits above it",
                    lsn: lsn)
            }
            tally.transactionsReplayed += 1
            tally.eventsReplayed += transaction.events.count
            do {
                try deliver(CommittedTransaction(beginLSN: frame.txBeginLSN, commitLSN: lsn, events: transaction.events))
            } catch {
                throw ConsumerError(underlying: error)
            }

        case .txAbort:
            try requireEmptyPayload(frame)
            guard open.removeValue(forKey: frame.txBeginLSN) != nil else {
                throw WALError(.structural, "abort references transaction \(frame.txBeginLSN), which has no open begin", lsn: lsn)
            }
            tally.transactionsAborted += 1

        case .checkpoint:
            try requireEmptyPayload(frame)
            let snapshotLSN = frame.txBeginLSN
            guard snapshotLSN < lsn else {
                throw WALError(.structural, "checkpoint points to snapshot LSN \(snapshotLSN), which is not before the marker", lsn: lsn)
            }
            if let newestSnapshotLSN, snapshotLSN < newestSnapshotLSN {
                throw WALError(
                    .structural, "checkpoint snapshot LSN \(snapshotLSN) goes back from the previous checkpoint's \(newestSnapshotLSN)",
                    lsn: lsn)
            }
            newestSnapshotLSN = snapshotLSN
            tally.newestCheckpoint = CheckpointMarker(markerLSN: lsn, snapshotLSN: snapshotLSN)
        }
    }

    /// Counts what was still open when the log ended.
    func finish(report: inout ReplayReport) {
        report.transactionsReplayed = tally.transactionsReplayed
        report.eventsReplayed = tally.eventsReplayed
        report.transactionsBelowFence = tally.transactionsBelowFence
        report.transactionsAborted = tally.transactionsAborted
        report.newestCheckpoint = tally.newestCheckpoint
        report.transactionsIncomplete = open.count
    }

    private func requireEmptyPayload(_ frame: RecordFrame) throws {
        guard frame.payloadCount == 0 else {
            throw WALError(.structural, "\(frame.kind) record carries \(frame.payloadCount) payload bytes; markers carry none", lsn: frame.lsn)
        }
    }
}

/// Replays a log directory: the shared core of `WAL.open` and `WAL.replay`.
func replayDirectory<Event: WALEvent>(
    _ directory: SegmentDirectory, fence: LSN, mode: RecoveryMode, as _: Event.Type,
    progress: ((UInt64, UInt64) -> Void)? = nil,
    _ deliver: (CommittedTransaction<Event>) throws -> Void
) throws -> ReplayReport {
    var report = ReplayReport()
    var replayer = Replayer<Event>(fence: fence)
    var walker = LogWalker(directory: directory, mode: mode)
    walker.progress = progress
    do {
        try walker.walk(into: &report) { frame, bytes, _ in
            try replayer.visit(frame, bytes, deliver: deliver)
        }
    } catch let error as ConsumerError {
        throw error.underlying
    }
    replayer.finish(report: &report)
    return report
}
