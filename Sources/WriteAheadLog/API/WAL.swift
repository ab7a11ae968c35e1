/// A durable, segmented write-ahead log of `Event`s.
///
/// Open one with ``open(directory:options:fence:)``: it takes the directory
/// lock, replays the committed transactions above your snapshot's fence and
/// hands them back, cuts a torn tail, and resumes appending. Commit a
/// transaction with ``commit(_:durability:)-(Collection<Event>,_)``; it returns once the bytes are
/// in the kernel, and under ``SyncMode/always`` once an fsync covers them.
///
/// All methods are thread-safe. Concurrent committers share writes and
/// fsyncs. Blocking calls (`commit`, `sync`, `waitUntilDurable`) must not
/// be called from the Swift concurrency pool; use the `async` overloads
/// there, which suspend while a dedicated thread does the I/O.
///
/// Closing (explicitly, or when the last reference goes away) writes,
/// fsyncs, stops the background thread and releases the lock.
public final class WAL<Event: WALEvent>: Sendable {
    @usableFromInline let engine: LogEngine

    private init(engine: LogEngine) {
        self.engine = engine
    }

    deinit {
        try? engine.close()
    }

    // MARK: Opening and replay

    /// Opens or creates the log in `directory` and returns the events of
    /// every transaction committed above `fence`, in commit order.
    ///
    /// - Parameters:
    ///   - directory: The log directory; created (durably, with every
    ///     missing parent) when it does not exist.
    ///   - options: How the log is opened and run.
    ///   - fence: The LSN your snapshot is consistent with (`.none`
    ///     without one). Transactions committed at or below it are skipped.
    ///     A log that ends below it (a snapshot newer than the log) continues
    ///     above it: its old segments move to `superseded/` and the next LSN
    ///     is `fence + 1` (see ``ReplayReport/continuedAboveFence``).
    ///   - fencePosition: Where record `fence` (or one below it) starts, as
    ///     ``position(of:)`` gave it when the snapshot was taken: reading
    ///     begins right after it. Checked against the log and ignored when
    ///     it does not match (see ``ReplayReport/fencePosition``).
    /// - Throws: `alreadyOpen` while another handle holds the directory;
    ///   `corruption` or `structural` for damage strict recovery refuses.
    public static func open(
        directory: String, options: WALOptions = WALOptions(), fence: LSN = .none, fencePosition: LogPosition? = nil
    ) throws -> (wal: WAL, events: [Event], report: ReplayReport) {
        var events: [Event] = []
        let (wal, report) = try open(directory: directory, options: options, fence: fence, fencePosition: fencePosition) { transaction in
            events.append(contentsOf: transaction.events)
        }
        return (wal, events, report)
    }

    /// Opens or creates the log, handing each committed transaction above
    /// `fence` to `onTransaction` as replay reaches its commit record.
    ///
    /// Memory stays bounded by the largest transaction, not the whole log.
    /// An error thrown by `onTransaction` stops the open and is rethrown.
    public static func open(
        directory: String, options: WALOptions = WALOptions(), fence: LSN = .none, fencePosition: LogPosition? = nil,
        onTransaction: (CommittedTransaction<Event>) throws -> Void
    ) throws -> (wal: WAL, report: ReplayReport) {
        let (engine, report) = try LogEngine.open(
            at: directory, options: options, fence: fence, fencePosition: fencePosition, as: Event.self, onTransaction)
        return (WAL(engine: engine), report)
    }

    /// Opens or creates the log like ``open(directory:options:fence:onTransaction:)``,
    /// handing each committed transaction over with its events still
    /// encoded: the consumer reads the bytes of the events it knows how to
    /// apply directly and calls ``EncodedEvent/decode(as:)`` for the others.
    /// What is replayed, skipped, cut or set aside is the same.
    ///
    /// A name of its own, not an `open` overload: a trailing closure would
    /// not tell the two apart.
    public static func openEncoded(
        directory: String, options: WALOptions = WALOptions(), fence: LSN = .none, fencePosition: LogPosition? = nil,
        onTransaction: (EncodedTransaction) throws -> Void
    ) throws -> (wal: WAL, report: ReplayReport) {
        let (engine, report) = try LogEngine.open(
            at: directory, options: options, fence: fence, fencePosition: fencePosition, encoded: onTransaction)
        return (WAL(engine: engine), report)
    }

    /// Replays a log directory without opening it: no lock, no writes.
    ///
    /// A torn tail is reported, not cut. In salvage mode the damage replay
    /// stopped at is reported, and nothing is moved.
    public static func replay(
        directory: String, fence: LSN = .none, recoveryMode: RecoveryMode = .strict,
        onTransaction: (CommittedTransaction<Event>) throws -> Void
    ) throws -> ReplayReport {
        try replay(directory: directory, fence: fence, recoveryMode: recoveryMode, fileSystem: PosixFileSystem(), onTransaction: onTransaction)
    }

    package static func replay(
        directory: String, fence: LSN = .none, recoveryMode: RecoveryMode = .strict, fileSystem: any FileSystem,
        readsAhead: Bool = true, onTransaction: (CommittedTransaction<Event>) throws -> Void
    ) throws -> ReplayReport {
        guard fileSystem.isDirectory(directory) else {
            throw WALError(.invalidArgument, "no log directory here", operation: "replay", path: directory)
        }
        let segments = SegmentDirectory(root: directory, fileSystem: fileSystem)
        return try replayDirectory(
            segments, fence: fence, mode: recoveryMode, as: Event.self, readsWithoutLock: true, readsAhead: readsAhead,
            onTransaction)
    }

    // MARK: State

    /// The log directory.
    public var directory: String { engine.directory.root }
    /// The sync mode the log was opened with.
    public var syncMode: SyncMode { engine.options.syncMode }
    /// Every record up to this LSN survived an fsync. Only moves forward.
    public var durableLSN: LSN { engine.durableLSN }
    /// Every record up to this LSN is in the kernel.
    public var writtenLSN: LSN { engine.writtenLSN }
    /// The LSN the next record will get.
    public var nextLSN: LSN { engine.nextLSN }
    /// The segment new records are written to.
    public var activeSegmentID: SegmentID { engine.writer.withLock { $0.segmentID } }
    /// The lowest segment id still on disk.
    public var oldestSegmentID: SegmentID { engine.writer.withLock { $0.oldestSegmentID } }
    /// Bytes of records appended since the log was opened.
    public var appendedBytes: UInt64 { engine.appendedBytes.load(ordering: .relaxed) }
    /// Why the log is poisoned, or nil while it is healthy.
    public var failure: WALError? { engine.failure }

    /// Where record `lsn` starts, while it is the last record appended
    /// through this handle; nil otherwise (something was appended since, or
    /// nothing has been since the open).
    ///
    /// A snapshot taken at a consistent cut (no writer appends between the
    /// ``sync()`` that returned `lsn` and this call) keeps it, and passes it
    /// to the next `open` as `fencePosition` beside the fence `lsn`.
    public func position(of lsn: LSN) -> LogPosition? {
        engine.append.withLock { state in state.lastRecord?.lsn == lsn ? state.lastRecord : nil }
    }

    /// Everything an operator wants to see, including segment count and bytes.
    public func status() throws -> WALStatus { try engine.status() }

    // MARK: Committing

    /// Commits `events` as one transaction: begin, batch and commit records
    /// in one contiguous run.
    ///
    /// Returns once the bytes are in the kernel (a `write`, shared with
    /// concurrent committers), and, under `always` or with `.durable`, once
    /// an `fdatasync` covers the commit. Returns nil for an empty list,
    /// which writes nothing.
    @inlinable @discardableResult
    @available(*, noasync, message: "blocks its thread until the fsync; use the async commit")
    public func commit(_ events: some Collection<Event>, durability: CommitDurability = .syncMode) throws -> Commit? {
        try commit(encoded: EncodedBatch(), then: events, durability: durability)
    }

    /// Commits the events of `prefix`, already encoded, and then `rest`,
    /// as one transaction: what ``commit(_:durability:)`` does with the
    /// events `prefix` was built from followed by `rest`.
    @inlinable @discardableResult
    @available(*, noasync, message: "blocks its thread until the fsync; use the async commit")
    package func commit(
        encoded prefix: EncodedBatch, then rest: some Collection<Event>, durability: CommitDurability = .syncMode
    ) throws -> Commit? {
        guard prefix.count > 0 || !rest.isEmpty else { return nil }
        let lsns = try engine.appendTransaction { buffer in
            try RecordCodec.appendBatchPayload(encoded: prefix, then: rest, to: &buffer)
        }
        let durable = durability.waitsForFsync(under: engine.options.syncMode)
        if durable {
            try engine.waitDurable(lsns.commit)
        } else {
            try engine.ensureWritten(lsns.commit)
        }
        return Commit(beginLSN: lsns.begin, commitLSN: lsns.commit, isDurable: durable)
    }

    /// Commits `events` as one transaction without blocking a thread: the
    /// call suspends until the flusher thread has written (and, under
    /// `always` or with `.durable`, fsynced) the commit.
    ///
    /// Cancellation does not interrupt it: once appended, the commit is in
    /// the log, and the call reports its LSN.
    @inlinable @discardableResult
    public func commit(_ events: [Event], durability: CommitDurability = .syncMode) async throws -> Commit? {
        guard !events.isEmpty else { return nil }
        let lsns = try engine.appendTransaction { buffer in try RecordCodec.appendBatchPayload(events, to: &buffer) }
        let durable = durability.waitsForFsync(under: engine.options.syncMode)
        try await engine.waitAsync(lsns.commit, durable: durable, cancellable: false)
        return Commit(beginLSN: lsns.begin, commitLSN: lsns.commit, isDurable: durable)
    }

    // MARK: Durability

    /// Writes every pending byte to the kernel (`pwrite`), without fsync.
    public func flush() throws {
        try engine.checkOpen("flush")
        try engine.checkHealthy("flush")
        try engine.writePending()
    }

    /// Writes every pending byte and fsyncs (`pwrite` + `fdatasync`);
    /// returns the new durable LSN.
    @discardableResult
    @available(*, noasync, message: "blocks its thread until the fsync; await waitUntilDurable(_:) for nextLSN - 1 instead")
    public func sync() throws -> LSN {
        try engine.checkOpen("sync")
        try engine.checkHealthy("sync")
        let target = LSN(engine.nextLSN.rawValue - 1)
        try engine.waitDurable(target)
        return engine.durableLSN
    }

    /// Blocks until an fsync covers `lsn`, running one if none is in flight.
    @available(*, noasync, message: "blocks its thread until the fsync; use the async waitUntilDurable")
    public func waitUntilDurable(_ lsn: LSN) throws {
        try engine.checkOpen("wait")
        try checkAllocated(lsn)
        try engine.waitDurable(lsn)
    }

    /// Suspends until an fsync covers `lsn`; the flusher thread runs it.
    /// Cancelling the task ends the wait with `CancellationError` and
    /// disturbs neither the log nor other waiters.
    public func waitUntilDurable(_ lsn: LSN) async throws {
        try engine.checkOpen("wait")
        try checkAllocated(lsn)
        try await engine.waitAsync(lsn, durable: true, cancellable: true)
    }

    private func checkAllocated(_ lsn: LSN) throws {
        let next = engine.nextLSN
        guard lsn < next else {
            throw WALError(.invalidArgument, "LSN \(lsn) has not been written yet (next LSN is \(next))", operation: "wait", lsn: lsn)
        }
    }

    // MARK: Maintenance

    /// Deletes sealed segments whose whole LSN range is at or below `fence`,
    /// never the active segment nor the one before it; fsyncs the directory
    /// when it deleted anything. Idempotent. Returns the deleted ids.
    @discardableResult
    public func truncate(upTo fence: LSN) throws -> [SegmentID] {
        try engine.truncate(upTo: fence)
    }

    /// Writes, fsyncs, stops the flusher thread and releases the directory
    /// lock. Later commits, flushes, syncs and durable waits fail with
    /// `closed`; closing twice is harmless, and a close that overlaps
    /// another returns once that one has released the lock, so the
    /// directory can be reopened as soon as either returns.
    ///
    /// It blocks for the last fsync, but is allowed in async code: shutting
    /// down is where a handle is closed, once.
    public func close() throws {
        try engine.close()
    }
}
