import Synchronization

/// A point in the append buffer where the next bytes belong to a new segment.
struct SegmentBreak: Sendable {
    var bufferOffset: Int
    /// The last LSN written to the old segment.
    var lastLSNBefore: LSN
    var newID: SegmentID
    var newBaseLSN: LSN
}

/// What the append lock guards: LSN allocation and the bytes not yet handed
/// to the kernel. Nothing in here does I/O.
struct AppendState: Sendable {
    var nextLSN: LSN
    var buffer: [UInt8] = []
    var breaks: [SegmentBreak] = []
    /// The segment new records go to, and its size including them.
    var segmentID: SegmentID
    var segmentBytes: UInt64
    /// Transactions begun through the primitives and not yet ended: rotation
    /// waits until there are none, so a transaction never spans segments.
    var openTransactions: Set<LSN> = []
    var newestSnapshotLSN: LSN = .none
    var closed = false

    var lastAppendedLSN: LSN { LSN(nextLSN.rawValue - 1) }
}

/// What the write lock guards: the active segment file and what reached it.
struct WriterState: Sendable {
    var file: any StorageFile
    var segmentID: SegmentID
    var baseLSN: LSN
    var fileOffset: UInt64
    var writtenLSN: LSN
    var oldestSegmentID: SegmentID
    /// The shared mapping of the active segment, in `.mappedSegments` mode.
    var mapping: (any MappedRegion)? {
        didSet { prefaultedEnd = 0 }
    }
    /// How far the flusher has prefaulted `mapping`, and whether it was asked to go on.
    var prefaultedEnd: UInt64 = 0
    var prefaultRequested = false
    /// The buffer swapped out of `AppendState`, kept for its capacity.
    var spare: [UInt8] = []
    var spareBreaks: [SegmentBreak] = []
    /// The length fields of the group being copied into the mapping, with
    /// their offsets in the group; kept for its capacity.
    var lengths: [(offset: Int, length: UInt32)] = []
}

/// An `async` caller waiting for an LSN to be written or durable.
struct AsyncWaiter {
    var lsn: LSN
    var durable: Bool
    var continuation: CheckedContinuation<Void, any Error>
}

enum WaiterSlot {
    case reserved
    case registered(AsyncWaiter)
    case cancelled
}

/// What the progress lock guards: how far writes and fsyncs got, the latched
/// failure, waiters, and requests for the flusher thread.
struct Progress {
    var durableLSN: LSN
    /// Group-commit leadership. A generation is one group fsync: its leader
    /// runs it, the threads it covers sleep on its signal, and threads that
    /// came too late for it register for the next generation.
    var syncInFlight = false
    var syncGeneration: UInt64 = 0
    /// What the in-flight fsync covers, once its leader has written.
    var syncTarget: LSN?
    /// Threads registered for generation `syncGeneration + 1`.
    var waitingForNext = 0
    /// Set when a leader ended with threads registered for the next
    /// generation and began it for them: the first of them to see this
    /// leads it.
    var handoffPending = false
    var failure: String?
    var waiters: [UInt64: WaiterSlot] = [:]
    var nextWaiterID: UInt64 = 0
    var writeRequested = false
    var syncRequested = false
    var prefaultRequested = false
    var stopping = false
    /// Set once `close` has released the directory lock; a second close waits for it.
    var closeFinished = false
    var commitsAtLastSync = 0
}

/// The byte-level log: everything of `WAL` that does not depend on the event type.
///
/// Three locks, always taken in this order and each held briefly:
/// - `writer` (the write lock) serialises writes to the segment files and
///   rotation. Whoever holds it writes everyone's pending bytes at once, so
///   concurrent committers share one `pwrite`.
/// - `append` guards LSN allocation and the append buffer. No system call
///   ever runs under it: appenders keep appending while a write or an fsync
///   is in flight.
/// - `progress` records the written and durable LSNs and the `async`
///   waiters; the flusher thread sleeps on its condition.
///
/// An fsync runs under none of them: one committer (the leader, elected by
/// `syncInFlight`) runs it while the others sleep on `durableChanged`, and
/// all whose bytes it covered return together (group commit).
@usableFromInline
final class LogEngine: Sendable {
    let directory: SegmentDirectory
    @usableFromInline let options: WALOptions
    let append: Mutex<AppendState>
    let writer: Mutex<WriterState>
    let progress: ConditionLock<Progress>
    /// Mirrors of the progress LSNs and the failure latch, for lock-free fast paths.
    let writtenMirror: Atomic<UInt64>
    let durableMirror: Atomic<UInt64>
    let poisoned = Atomic<Bool>(false)
    /// Where threads blocked on a group fsync sleep: generations alternate
    /// between the two, so the end of one fsync wakes the threads it
    /// covered and none of those waiting for the next.
    let generationSignals: (even: EventCount, odd: EventCount)
    /// Async waiters registered now; while 0, publishing the written LSN
    /// needs no lock. Paired with `writtenMirror` (sequentially consistent
    /// on both sides): a waiter either sees the new LSN or is seen.
    let asyncWaiterCount = Atomic<Int>(0)
    let commitCount = Atomic<Int>(0)
    /// Bytes of records appended since open.
    let appendedBytes = Atomic<UInt64>(0)
    let metrics: WALMetrics
    let lock: any DirectoryLock
    let flusher: Mutex<DedicatedThread?> = Mutex(nil)
    /// Held across every fsync of a segment file; see `fsyncing`.
    let fsyncGate = Mutex(())

    init(directory: SegmentDirectory, options: WALOptions, lock: any DirectoryLock, append: AppendState, writer: WriterState) throws {
        self.generationSignals = (try EventCount(), try EventCount())
        self.directory = directory
        self.options = options
        self.lock = lock
        self.append = Mutex(append)
        let recovered = writer.writtenLSN
        self.writer = Mutex(writer)
        self.progress = ConditionLock(Progress(durableLSN: recovered))
        self.writtenMirror = Atomic(recovered.rawValue)
        self.durableMirror = Atomic(recovered.rawValue)
        self.metrics = WALMetrics(directory: directory.root)
    }

    // MARK: Health

    /// Throws `poisoned` once a write or fsync has failed.
    func checkHealthy(_ operation: String, lsn: LSN? = nil) throws {
        guard poisoned.load(ordering: .acquiring) else { return }
        let reason = progress.withLock { $0.failure } ?? "an earlier write or fsync failed"
        throw WALError(
            .poisoned, "the log is poisoned and refuses writes until it is reopened: \(reason)",
            operation: operation, path: directory.root, lsn: lsn)
    }

    /// Latches the first failure: every later write, flush and sync fails,
    /// and no fsync is retried (the kernel may have dropped the dirty pages,
    /// so a later successful fsync would not prove anything).
    func poison(_ error: any Error) {
        let reason = "\(error)"
        let waiters = progress.withLock { progress in
            if progress.failure == nil { progress.failure = reason }
            // A generation handed off but not yet taken has no leader to end it.
            if progress.handoffPending {
                progress.handoffPending = false
                progress.syncInFlight = false
            }
            return progress.takeWaiters { _ in true }
        }
        poisoned.store(true, ordering: .releasing)
        generationSignals.even.notifyAll()
        generationSignals.odd.notifyAll()
        progress.broadcast()
        resume(waiters, throwing: WALError(.poisoned, "the log is poisoned: \(reason)", path: directory.root))
    }

    /// Runs `body`, which fsyncs segment files, under the fsync gate: one
    /// such fsync at a time, none after one failed.
    ///
    /// After a failed fsync the kernel may have dropped the dirty pages, and
    /// a later fsync of the same file (Linux reports a writeback error once
    /// per open file) can succeed without them. The group-sync leader and a
    /// rotation fsync the active segment from different threads, so without
    /// the gate one's success could be published after the other's failure.
    /// Under it, a failure poisons the log before the gate opens again, and
    /// every fsync first checks the latch.
    func fsyncing(_ operation: String, _ body: () throws -> Void) throws {
        try fsyncGate.withLock { _ in
            try checkHealthy(operation)
            do {
                try body()
            } catch {
                poison(error)
                throw error
            }
        }
    }

    /// Throws `closed` once `close` has begun.
    func checkOpen(_ operation: String) throws {
        guard append.withLock({ $0.closed }) else { return }
        throw WALError(.closed, "the log was closed", operation: operation, path: directory.root)
    }

    var failure: String? { progress.withLock { $0.failure } }
    var durableLSN: LSN { LSN(durableMirror.load(ordering: .acquiring)) }
    var writtenLSN: LSN { LSN(writtenMirror.load(ordering: .acquiring)) }
    var nextLSN: LSN { append.withLock { $0.nextLSN } }

    // MARK: Appending

    /// Runs `body` under the append lock after the health and open checks.
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
                throw error
            }
            try RecordCodec.append(kind: .txCommit, lsn: commit, txBeginLSN: begin, to: &state.buffer)
            state.segmentBytes += UInt64(state.buffer.count - start)
            appendedBytes.add(UInt64(state.buffer.count - start), ordering: .relaxed)
            state.nextLSN = next
            return (begin, commit)
        }
        commitCount.add(1, ordering: .relaxed)
        metrics.commits.increment()
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
            try RecordCodec.append(kind: kind, lsn: lsn, txBeginLSN: txBeginLSN ?? lsn, to: &state.buffer, payload: payload)
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
        // A segment holding no record is never sealed: its successor would
        // get the same base LSN, which replay rightly refuses. That happens
        // when the target is no larger than a header.
        guard state.segmentBytes >= options.segmentTargetBytes, state.segmentBytes > UInt64(SegmentHeader.size),
            state.openTransactions.isEmpty
        else { return }
        let newID = try state.segmentID.successor()
        state.breaks.append(
            SegmentBreak(
                bufferOffset: state.buffer.count, lastLSNBefore: state.lastAppendedLSN, newID: newID,
                newBaseLSN: state.nextLSN))
        state.segmentID = newID
        state.segmentBytes = UInt64(SegmentHeader.size)
    }
}

extension Progress {
    /// Starts a group-fsync generation; its leader has yet to write.
    mutating func beginGeneration() {
        syncInFlight = true
        syncGeneration += 1
        syncTarget = nil
        waitingForNext = 0
        handoffPending = false
    }

    /// Moves the durable LSN up to `lsn` (never down) and takes out the
    /// `async` waiters that reached it.
    mutating func recordDurable(_ lsn: LSN, mirror: borrowing Atomic<UInt64>) -> [AsyncWaiter] {
        guard lsn > durableLSN else { return [] }
        durableLSN = lsn
        mirror.store(lsn.rawValue, ordering: .releasing)
        return takeWaiters { $0.lsn <= lsn }
    }

    /// Removes and returns the registered waiters `isSatisfied` accepts.
    mutating func takeWaiters(_ isSatisfied: (AsyncWaiter) -> Bool) -> [AsyncWaiter] {
        var ready: [AsyncWaiter] = []
        if waiters.isEmpty { return ready }
        for (id, slot) in waiters {
            if case .registered(let waiter) = slot, isSatisfied(waiter) {
                ready.append(waiter)
                waiters[id] = nil
            }
        }
        return ready
    }
}
