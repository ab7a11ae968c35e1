#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Replay split over two threads: a reader thread walks the log (reads the
/// segments, checks every checksum and rule, assembles the committed
/// transactions) while the calling thread hands the transactions it has
/// already assembled to the consumer.
///
/// Why: for a consumer that rebuilds an in-memory state, reading the log
/// and applying it cost about the same, so on two cores recovery takes
/// about the longer of the two rather than their sum.
///
/// What the consumer sees is exactly what the single-threaded replay hands
/// it: the same transactions, in order, the same progress notes between
/// them, on the calling thread. The walk's verdict (damage, torn tail,
/// counts) is the reader's, which saw the same records. Two cases need care:
///
/// - The consumer throws. The reader is stopped and joined before the error
///   leaves, so nothing runs on after the call returns.
/// - An event does not decode. That is damage at its commit record (salvage
///   stops there), but the reader has walked past it. The walk is run again
///   on the calling thread up to that commit, handing nothing over (the
///   consumer has all the transactions before it), so the damage is judged
///   and reported exactly where the single-threaded replay would.
struct ReadAheadReplay: Sendable {
    let directory: SegmentDirectory
    let fence: LSN
    let mode: RecoveryMode
    let readsWithoutLock: Bool
    let skipsCoveredSegments: Bool
    let fencePosition: LogPosition?

    /// The records a batch collects before it is handed over, and how many
    /// batches may wait: the read-ahead holds at most a few MiB.
    static let batchBytes = 1 << 20
    static let queueDepth = 4

    /// Whether replay should read ahead here: the option is on and the
    /// machine has a second processor to read on.
    static func isWorthwhile(enabled: Bool) -> Bool {
        enabled && DedicatedThread.hasSecondProcessor
    }

    func run(
        progress: ((ReplayProgress) -> Void)?, _ deliver: (EncodedTransaction) throws -> Void
    ) throws -> ReplayReport {
        let queue = ReadAheadQueue()
        let reader: DedicatedThread
        do {
            reader = try DedicatedThread.start(name: "replay read-ahead") { [self] in readAhead(into: queue) }
        } catch {
            // No thread to read on: replay on this one.
            return try replayEncoded(
                directory, fence: fence, mode: mode, progress: progress, readsWithoutLock: readsWithoutLock,
                skipsCoveredSegments: skipsCoveredSegments, fencePosition: fencePosition, readsAhead: false, deliver)
        }
        let decodingFailure = DecodingFailureSlot()
        var events = 0
        var undecodableCommit: LSN?
        do {
            while let batch = queue.next() {
                defer { queue.recycleEmptied(batch) }
                try batch.records.withUnsafeBytes { records in
                    for item in batch.items {
                        switch item {
                        case .progress(let note):
                            progress?(note)
                        case .transaction(let begin, let commit, let eventCount, let range):
                            do {
                                try deliver(
                                    EncodedTransaction(
                                        beginLSN: begin, commitLSN: commit, eventCount: eventCount,
                                        records: UnsafeRawBufferPointer(rebasing: records[range]),
                                        decodingFailure: decodingFailure))
                            } catch {
                                if decodingFailure.error != nil { undecodableCommit = commit }
                                throw error
                            }
                            events += eventCount
                        }
                    }
                }
            }
        } catch {
            queue.stop()
            reader.join()
            guard let damage = decodingFailure.error, let undecodableCommit else { throw error }
            var report = try walkAgain(stoppingAt: undecodableCommit, with: damage)
            report.eventsReplayed = events
            return report
        }
        reader.join()
        // The transactions handed over hold the slot uncounted: it must
        // outlive every delivery, not only its last counted use.
        withExtendedLifetime(decodingFailure) {}
        var report = try queue.finalOutcome().get()
        report.eventsReplayed = events
        return report
    }

    /// The reader thread: walks the whole log, handing committed
    /// transactions over in batches, and leaves the walk's outcome last.
    private func readAhead(into queue: ReadAheadQueue) {
        let batch = BatchSlot(queue.spareBatch())
        let outcome: Result<ReplayReport, any Error>
        do {
            let report = try walkTransactions(
                directory, fence: fence, mode: mode, progress: { batch.value.items.append(.progress($0)) },
                readsWithoutLock: readsWithoutLock, skipsCoveredSegments: skipsCoveredSegments, fencePosition: fencePosition
            ) { begin, commit, pending in
                batch.value.add(begin: begin, commit: commit, pending)
                if batch.value.records.count >= Self.batchBytes {
                    try queue.hand(&batch.value)
                }
            }
            outcome = .success(report)
        } catch {
            outcome = .failure(error)
        }
        queue.finish(last: batch.value, outcome)
    }

    /// The single-threaded walk again, up to the commit whose event did
    /// not decode, where it throws `damage` as the single-threaded replay
    /// does: strict mode refuses with the record's place, salvage stops there.
    private func walkAgain(stoppingAt undecodable: LSN, with damage: WALError) throws -> ReplayReport {
        try walkTransactions(
            directory, fence: fence, mode: mode, progress: nil, readsWithoutLock: readsWithoutLock,
            skipsCoveredSegments: skipsCoveredSegments, fencePosition: fencePosition
        ) { _, commit, _ in
            if commit == undecodable { throw damage }
        }
    }
}

/// Committed transactions the reader assembled, in log order, with the
/// progress notes the walk made between them.
struct ReadAheadBatch: Sendable {
    enum Item: Sendable {
        /// A transaction whose records (see `PendingTransaction`) are `range` of `records`.
        case transaction(begin: LSN, commit: LSN, eventCount: Int, range: Range<Int>)
        case progress(ReplayProgress)
    }

    var records: [UInt8] = []
    var items: [Item] = []

    mutating func add(begin: LSN, commit: LSN, _ pending: PendingTransaction) {
        let start = records.count
        records.append(contentsOf: pending.records)
        items.append(.transaction(begin: begin, commit: commit, eventCount: pending.eventCount, range: start..<records.count))
    }

    /// Empties the batch for reuse, keeping its buffers' capacity.
    mutating func reset() {
        records.removeAll(keepingCapacity: true)
        items.removeAll(keepingCapacity: true)
    }
}

/// The reader's batch in the making, shared by the walk's two callbacks.
private final class BatchSlot {
    var value: ReadAheadBatch
    init(_ value: ReadAheadBatch) { self.value = value }
}

/// Stops the reader's walk once the consumer has given up.
struct ReadAheadStopped: Error {}

/// The hand-over between the reader thread and the calling thread.
typealias ReadAheadQueue = HandOffQueue<ReadAheadBatch, Result<ReplayReport, any Error>>

extension HandOffQueue where Batch == ReadAheadBatch, Outcome == Result<ReplayReport, any Error> {
    convenience init() { self.init(depth: ReadAheadReplay.queueDepth) }

    /// Reader: a batch to fill, a recycled one when there is one.
    func spareBatch() -> ReadAheadBatch { spare() ?? ReadAheadBatch() }

    /// Reader: queues `batch`, leaving a spare one in its place. Throws
    /// once the consumer has stopped.
    func hand(_ batch: inout ReadAheadBatch) throws {
        guard hand(batch) else { throw ReadAheadStopped() }
        batch = spareBatch()
    }

    /// Reader: queues the last batch and the walk's outcome.
    func finish(last batch: ReadAheadBatch, _ outcome: Result<ReplayReport, any Error>) {
        finish(last: batch.items.isEmpty ? nil : batch, outcome)
    }

    /// Consumer: gives a handed-over batch back, emptied, for the reader to refill.
    func recycleEmptied(_ batch: ReadAheadBatch) {
        var batch = batch
        batch.reset()
        recycle(batch)
    }

    /// The walk's outcome; call after joining the reader.
    func finalOutcome() -> Result<ReplayReport, any Error> {
        outcome ?? .failure(WALError(.io, "the replay reader thread ended without reporting how the walk ended", operation: "replay"))
    }
}
