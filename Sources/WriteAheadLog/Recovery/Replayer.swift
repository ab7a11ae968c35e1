/// The records of one open transaction, kept as bytes until its commit.
///
/// Each mutation record is stored as `u8 kind, u32 length, payload`, so
/// tracking a transaction costs one reusable buffer and no per-event work;
/// events are decoded once, when the commit arrives, and never for a
/// transaction that aborts or is cut off.
struct PendingTransaction {
    var records: [UInt8] = []
    /// Some of its records are at or below the fence and were not kept.
    var hasRecordsBelowFence = false
    /// The events in the records kept.
    private(set) var eventCount = 0

    mutating func reset() {
        records.removeAll(keepingCapacity: true)
        hasRecordsBelowFence = false
        eventCount = 0
    }

    /// Keeps a mutation or batch record whose framing was checked.
    mutating func add(_ kind: RecordKind, payload: UnsafeRawBufferPointer) {
        // A batch starts with its event count.
        eventCount += kind == .mutationBatch ? Int(UInt32(littleEndian: payload.loadUnaligned(as: UInt32.self))) : 1
        records.append(kind.rawValue)
        records.appendLittleEndian(UInt32(payload.count))
        records.append(contentsOf: payload)
    }

    /// Hands each stored record's kind and payload to `body`.
    func forEachRecord(_ body: (RecordKind, UnsafeRawBufferPointer) throws -> Void) rethrows {
        try records.withUnsafeBytes { try Self.forEachRecord(in: $0, body) }
    }

    /// The same over `records`' bytes.
    static func forEachRecord(
        in bytes: UnsafeRawBufferPointer, _ body: (RecordKind, UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        var offset = 0
        while offset < bytes.count {
            let kind = RecordKind(rawValue: bytes[offset]) ?? .mutation
            let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 1, as: UInt32.self)))
            try body(kind, UnsafeRawBufferPointer(rebasing: bytes[(offset + 5)..<(offset + 5 + length)]))
            offset += 5 + length
        }
    }
}

/// Turns the record stream of a log into committed transactions.
///
/// Records are buffered per open transaction and released only when its
/// commit record is read; an abort, or the end of the log, drops them.
/// Transaction rules (a begin before its records, no duplicate begin,
/// checkpoints that neither point ahead nor go back) are enforced here.
///
/// This layer works on bytes and is not generic: generic code called across
/// a module boundary runs unspecialised, and looking up generic metadata
/// for every record cost more than reading the log. Almost every log has
/// at most one transaction open at a time, so that one lives in a slot of
/// its own and the dictionary is used only for interleaved transactions.
struct Replayer {
    let fence: LSN
    private var currentLSN = LSN.none
    private var current = PendingTransaction()
    private var others: [LSN: PendingTransaction] = [:]
    private var newestSnapshotLSN: LSN?
    /// Counters and the newest checkpoint, copied into the report at the end
    /// (the walker owns the report while the walk runs).
    private var tally = ReplayReport()

    /// Whether the walker may skip segments below the fence: then a record
    /// at or below it may belong to a transaction whose begin was skipped.
    let skipsCoveredSegments: Bool

    init(fence: LSN, skipsCoveredSegments: Bool = false) {
        self.fence = fence
        self.skipsCoveredSegments = skipsCoveredSegments
    }

    /// For a record of `transaction`, which is not open: true when it is to
    /// be ignored because its begin lay in a skipped segment below the
    /// fence and it is at or below the fence itself; throws the straddling
    /// error when it commits above the fence. False when skipping explains
    /// nothing (the caller reports the missing begin).
    private func isCoveredRemnant(_ transaction: LSN, at lsn: LSN, committing: Bool) throws -> Bool {
        guard skipsCoveredSegments, transaction <= fence else { return false }
        if lsn <= fence { return true }
        guard committing else { return false }
        throw WALError(
            .structural,
            "transaction \(transaction) straddles the checkpoint fence \(fence): it began at or below it but commits above it",
            lsn: lsn)
    }

    private func isOpen(_ transaction: LSN) -> Bool {
        (transaction == currentLSN && !currentLSN.isNone) || others[transaction] != nil
    }

    private mutating func withOpen(_ transaction: LSN, _ body: (inout PendingTransaction) -> Void) {
        if transaction == currentLSN { body(&current) } else if others[transaction] != nil { body(&others[transaction]!) }
    }

    /// Removes an open transaction and returns its records.
    private mutating func take(_ transaction: LSN) -> PendingTransaction? {
        guard transaction == currentLSN else { return others.removeValue(forKey: transaction) }
        currentLSN = .none
        var taken = PendingTransaction()
        swap(&taken, &current)
        return taken
    }

    /// Gives a finished transaction's buffer back to the slot, keeping its capacity.
    private mutating func recycle(_ pending: inout PendingTransaction) {
        guard currentLSN.isNone, current.records.capacity == 0 else { return }
        pending.reset()
        swap(&pending, &current)
    }

    mutating func visit(
        _ frame: RecordFrame, _ bytes: UnsafeRawBufferPointer,
        deliver: (LSN, LSN, PendingTransaction) throws -> Void
    ) throws {
        let lsn = frame.lsn
        switch frame.kind {
        case .txBegin:
            try requireEmptyPayload(frame)
            guard frame.txBeginLSN == lsn else {
                if isOpen(frame.txBeginLSN) {
                    throw WALError(.structural, "duplicate begin for transaction \(frame.txBeginLSN), which is already open", lsn: lsn)
                }
                throw WALError(.structural, "begin record names transaction \(frame.txBeginLSN) instead of itself", lsn: lsn)
            }
            if currentLSN.isNone {
                currentLSN = lsn
            } else {
                others[lsn] = PendingTransaction()
            }

        case .mutation, .mutationBatch:
            let transaction = frame.txBeginLSN
            guard isOpen(transaction) else {
                if try isCoveredRemnant(transaction, at: lsn, committing: false) { return }
                throw WALError(.structural, "\(frame.kind) references transaction \(transaction), which has no open begin", lsn: lsn)
            }
            let payload = UnsafeRawBufferPointer(
                rebasing: bytes[frame.payloadOffset..<(frame.payloadOffset + frame.payloadCount)])
            if frame.kind == .mutationBatch {
                // Check the batch framing now, so damage is reported at this record.
                try RecordCodec.forEachBatchEntry(payload, lsn: lsn) { _, _ in }
            }
            if lsn <= fence {
                withOpen(transaction) { $0.hasRecordsBelowFence = true }
            } else {
                withOpen(transaction) { $0.add(frame.kind, payload: payload) }
            }

        case .txCommit:
            // Format 2 stamps the commit time; format 1 (and a segment
            // restored from an archive of such a log) carries none.
            guard frame.payloadCount == 0 || frame.payloadCount == CommitTime.payloadSize else {
                throw WALError(
                    .structural,
                    "commit record carries \(frame.payloadCount) payload bytes; a commit carries none or its \(CommitTime.payloadSize)-byte time",
                    lsn: lsn)
            }
            let transaction = frame.txBeginLSN
            guard isOpen(transaction) else {
                if try isCoveredRemnant(transaction, at: lsn, committing: true) {
                    tally.transactionsBelowFence += 1
                    return
                }
                throw WALError(.structural, "commit references transaction \(transaction), which has no open begin", lsn: lsn)
            }
            guard var pending = take(transaction) else { return }
            defer { recycle(&pending) }
            if lsn <= fence {
                tally.transactionsBelowFence += 1
                return
            }
            // A snapshot holds whole transactions, so one committed above the
            // fence whose earlier records are below it cannot be replayed exactly.
            guard !pending.hasRecordsBelowFence else {
                throw WALError(
                    .structural,
                    "transaction \(transaction) straddles the checkpoint fence \(fence): it began at or below it but commits above it",
                    lsn: lsn)
            }
            tally.transactionsReplayed += 1
            try deliver(transaction, lsn, pending)

        case .txAbort:
            try requireEmptyPayload(frame)
            guard isOpen(frame.txBeginLSN) else {
                if try isCoveredRemnant(frame.txBeginLSN, at: lsn, committing: false) {
                    tally.transactionsAborted += 1
                    return
                }
                throw WALError(.structural, "abort references transaction \(frame.txBeginLSN), which has no open begin", lsn: lsn)
            }
            if var pending = take(frame.txBeginLSN) { recycle(&pending) }
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

    /// Copies the counters into the report and counts what was still open.
    func finish(report: inout ReplayReport) {
        report.transactionsReplayed = tally.transactionsReplayed
        report.transactionsBelowFence = tally.transactionsBelowFence
        report.transactionsAborted = tally.transactionsAborted
        report.newestCheckpoint = tally.newestCheckpoint
        report.transactionsIncomplete = others.count + (currentLSN.isNone ? 0 : 1)
    }

    private func requireEmptyPayload(_ frame: RecordFrame) throws {
        guard frame.payloadCount == 0 else {
            throw WALError(.structural, "\(frame.kind) record carries \(frame.payloadCount) payload bytes; markers carry none", lsn: frame.lsn)
        }
    }
}

/// Replays a log directory decoding every event: the core of the
/// decoding `WAL.open` and `WAL.replay`. A decoding error is damage at the
/// commit record (salvage mode stops there).
func replayDirectory<Event: WALEvent>(
    _ directory: SegmentDirectory, fence: LSN, mode: RecoveryMode, as _: Event.Type,
    progress: ((ReplayProgress) -> Void)? = nil, readsWithoutLock: Bool = false, skipsCoveredSegments: Bool = false,
    fencePosition: LogPosition? = nil, readsAhead: Bool, _ deliver: (CommittedTransaction<Event>) throws -> Void
) throws -> ReplayReport {
    try replayEncoded(
        directory, fence: fence, mode: mode, progress: progress, readsWithoutLock: readsWithoutLock,
        skipsCoveredSegments: skipsCoveredSegments, fencePosition: fencePosition, readsAhead: readsAhead
    ) { transaction in
        let events = try transaction.decodedEvents(as: Event.self)
        try deliver(CommittedTransaction(beginLSN: transaction.beginLSN, commitLSN: transaction.commitLSN, events: events))
    }
}

/// Walks a log's records through the replayer; `deliver` gets each committed
/// transaction above the fence as bytes.
func walkTransactions(
    _ directory: SegmentDirectory, fence: LSN, mode: RecoveryMode, progress: ((ReplayProgress) -> Void)?,
    readsWithoutLock: Bool = false, skipsCoveredSegments: Bool = false, fencePosition: LogPosition? = nil,
    deliver: (LSN, LSN, PendingTransaction) throws -> Void
) throws -> ReplayReport {
    var report = ReplayReport()
    let skips = skipsCoveredSegments && fence != .none
    var replayer = Replayer(fence: fence, skipsCoveredSegments: skips)
    var walker = LogWalker(directory: directory, mode: mode)
    walker.progress = progress
    walker.readsWithoutLock = readsWithoutLock
    walker.skipsSegmentsAtOrBelow = skips ? fence : nil
    walker.fencePosition = skips ? fencePosition : nil
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
