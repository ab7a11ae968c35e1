import Synchronization

/// The byte-level log: everything of `WAL` that does not depend on the event type.
///
/// It coordinates the parts kept in the folders beside this one: the
/// append buffer (`Appending/`), the segment writer and its mapping
/// (`Writing/`), group commit, async waits, the flusher and the failure
/// latch (`Durability/`), open-time recovery (`Recovery/`), truncation and
/// status (`Maintenance/`).
///
/// Five locks. A thread holding one takes only locks below it in this
/// list, and each is held briefly:
/// 1. `writer` (the write lock) serialises writes to the segment files,
///    rotation and truncation. Whoever holds it writes everyone's pending
///    bytes at once, so concurrent committers share one `pwrite`.
/// 2. `fsyncGate` is held across every fsync of a segment file (the
///    group-commit leader's, and rotation's under `writer`), so that a
///    failed fsync poisons the log before another can succeed.
/// 3. `append` guards LSN allocation and the append buffer. No system call
///    ever runs under it: appenders keep appending while a write or an
///    fsync is in flight.
/// 4. `progress` records the durable LSN, the group-commit generations,
///    the failure, the `async` waiters and the flusher's requests; the
///    flusher thread sleeps on its condition.
/// 5. `flusher` holds the flusher thread's handle; it is taken alone, at
///    start and at stop.
///
/// An fsync never runs under `append` or `progress`: one committer (the
/// leader ``GroupCommit`` elects) runs it while the others sleep on their
/// generation's signal, and all whose bytes it covered return together.
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

    /// Read on every graph write, so a healthy log answers from the latch,
    /// without the lock the flusher takes (`poison` sets the failure first).
    var failure: WALError? {
        guard poisoned.load(ordering: .acquiring) else { return nil }
        return progress.withLock { $0.failure }
    }
    var durableLSN: LSN { LSN(durableMirror.load(ordering: .acquiring)) }
    var writtenLSN: LSN { LSN(writtenMirror.load(ordering: .acquiring)) }
    var nextLSN: LSN { append.withLock { $0.nextLSN } }
}
