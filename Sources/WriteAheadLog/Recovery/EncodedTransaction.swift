/// One committed transaction as replay hands it over with its events still
/// encoded: what `WAL.openEncoded(directory:options:fence:onTransaction:)` gives.
///
/// Why: a consumer that rebuilds its own compact form of an event (a store
/// that keeps records as bytes) would otherwise decode each event into its
/// Swift value only to encode it again, and for small events that round
/// trip costs more than reading the log. With the bytes it can read the
/// common events itself and ``EncodedEvent/decode()`` the rest.
///
/// Not generic over the event type, so that code in another module walks
/// it without generic metadata lookups per event; ``EncodedEvent/decode(as:)``
/// names the type.
///
/// Use it only during the call that hands it over: the bytes its events
/// point to are the replay's buffer, reused for the next transaction.
public struct EncodedTransaction {
    /// The LSN of the transaction's begin record; it names the transaction.
    public let beginLSN: LSN
    /// The LSN of its commit record.
    public let commitLSN: LSN
    /// How many events it holds.
    public let eventCount: Int
    /// The pending transaction's records (see `PendingTransaction`): a
    /// pointer, not the array, so that handing the transaction around
    /// costs less reference counting (it showed in a replay of a million
    /// small transactions).
    let records: UnsafeRawBufferPointer
    /// Not counted, like `records`: the replay that hands the transaction
    /// over keeps the slot alive for the call, and a counted reference was
    /// a retain and a release per event, copied into each ``EncodedEvent``.
    unowned(unsafe) let decodingFailure: DecodingFailureSlot

    init(
        beginLSN: LSN, commitLSN: LSN, eventCount: Int, records: UnsafeRawBufferPointer,
        decodingFailure: DecodingFailureSlot
    ) {
        self.beginLSN = beginLSN
        self.commitLSN = commitLSN
        self.eventCount = eventCount
        self.records = records
        self.decodingFailure = decodingFailure
    }

    /// Hands each event to `body`, in the order they were appended.
    public func forEachEvent(_ body: (EncodedEvent) throws -> Void) throws {
        var index = 0
        try PendingTransaction.forEachRecord(in: records) { kind, payload in
            switch kind {
            case .mutation:
                try body(EncodedEvent(bytes: payload, index: index, commitLSN: commitLSN, decodingFailure: decodingFailure))
                index += 1
            case .mutationBatch:
                // The framing was checked when the record was read.
                try RecordCodec.forEachBatchEntry(payload, lsn: commitLSN) { _, bytes in
                    try body(EncodedEvent(bytes: bytes, index: index, commitLSN: commitLSN, decodingFailure: decodingFailure))
                    index += 1
                }
            default:
                return
            }
        }
    }

    /// Every event decoded, as the decoding `open` hands them over.
    public func decodedEvents<Event: WALEvent>(as _: Event.Type = Event.self) throws -> [Event] {
        var events: [Event] = []
        events.reserveCapacity(eventCount)
        try forEachEvent { events.append(try $0.decode(as: Event.self)) }
        return events
    }
}

/// One event's bytes inside an ``EncodedTransaction``, exactly as its
/// `encode(into:)` wrote them. `bytes` points into the replay's buffer:
/// read it only during the call that hands the event over.
public struct EncodedEvent {
    /// The event's bytes.
    public let bytes: UnsafeRawBufferPointer
    /// Its position in the transaction, from 0.
    public let index: Int
    let commitLSN: LSN
    /// Not counted: see ``EncodedTransaction``.
    unowned(unsafe) let decodingFailure: DecodingFailureSlot

    init(bytes: UnsafeRawBufferPointer, index: Int, commitLSN: LSN, decodingFailure: DecodingFailureSlot) {
        self.bytes = bytes
        self.index = index
        self.commitLSN = commitLSN
        self.decodingFailure = decodingFailure
    }

    /// The event as `Event(from:)` reads it.
    ///
    /// Throws `eventDecoding`, naming the event and the commit LSN, when the
    /// bytes do not decode or are not all read. Replay counts that as damage
    /// at the commit record, as the decoding `open` does (salvage mode stops
    /// there), whatever the consumer then throws: let it propagate.
    public func decode<Event: WALEvent>(as _: Event.Type = Event.self) throws -> Event {
        do {
            return try RecordCodec.decodeEvent(bytes, index: index, lsn: commitLSN)
        } catch let error as WALError {
            decodingFailure.error = error
            throw error
        }
    }
}

/// Where an event that failed to decode leaves its error, so replay can
/// tell damage in the log from an error of the consumer's own.
final class DecodingFailureSlot {
    var error: WALError?
}

/// Replays a log directory handing over encoded transactions: the shared
/// core of every replay. `deliver`'s errors stop the walk as the consumer's,
/// except a decoding failure, which is damage at the commit record.
///
/// With `readsAhead` (and a second processor) the log is read on a thread
/// of its own while `deliver` runs on this one (see `ReadAheadReplay`);
/// what `deliver` and `progress` see, and the report, are the same.
func replayEncoded(
    _ directory: SegmentDirectory, fence: LSN, mode: RecoveryMode,
    progress: ((ReplayProgress) -> Void)? = nil, readsWithoutLock: Bool = false, skipsCoveredSegments: Bool = false,
    fencePosition: LogPosition? = nil, readsAhead: Bool, _ deliver: (EncodedTransaction) throws -> Void
) throws -> ReplayReport {
    if ReadAheadReplay.isWorthwhile(enabled: readsAhead) {
        let replay = ReadAheadReplay(
            directory: directory, fence: fence, mode: mode, readsWithoutLock: readsWithoutLock,
            skipsCoveredSegments: skipsCoveredSegments, fencePosition: fencePosition)
        return try replay.run(progress: progress, deliver)
    }
    var events = 0
    let decodingFailure = DecodingFailureSlot()
    var report = try walkTransactions(
        directory, fence: fence, mode: mode, progress: progress, readsWithoutLock: readsWithoutLock,
        skipsCoveredSegments: skipsCoveredSegments, fencePosition: fencePosition
    ) { begin, commit, pending in
        do {
            try pending.records.withUnsafeBytes { records in
                try deliver(
                    EncodedTransaction(
                        beginLSN: begin, commitLSN: commit, eventCount: pending.eventCount, records: records,
                        decodingFailure: decodingFailure))
            }
        } catch {
            if let damage = decodingFailure.error { throw damage }
            throw ConsumerError(underlying: error)
        }
        events += pending.eventCount
    }
    // The transactions handed over hold the slot uncounted (see ReadAheadReplay).
    withExtendedLifetime(decodingFailure) {}
    report.eventsReplayed = events
    return report
}
