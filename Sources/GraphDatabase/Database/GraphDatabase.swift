import Dispatch
import GraphStore
import Logging
import Synchronization
import WriteAheadLog

/// An in-memory property graph made durable by a write-ahead log.
///
/// **Isolation.** Write transactions run one at a time (serialisable).
/// Each works on a private copy of the newest logged graph; on commit its
/// events go to the log as one transaction and the copy becomes the newest
/// logged graph. A failed transaction changes nothing, in memory or on
/// disk. Readers get the visible graph as it was when they started (a
/// snapshot), never a transaction in progress, and never wait for writers.
///
/// **Visibility follows the durability asked for.** A transaction that
/// needs an fsync (every one under `always`, and `durable: true` in any
/// mode) becomes visible only once an fsync covers it, so a reader never
/// sees a transaction whose fsync then fails. Logged graphs are published
/// to readers in LSN order, so a plain transaction logged after a durable
/// one still waiting for its fsync is held back with it (and never shown if
/// that fsync fails). A plain transaction with nothing durable pending
/// ahead of it is visible as soon as it is written to the log, with no
/// fsync wait. Every `write` (and `commit`) returns only once its
/// transaction is visible: a writer reads its own writes.
///
/// **Durability** follows the log's sync mode; `durable: true` on a write
/// waits for an fsync whatever the mode. Commits of concurrent writers
/// share fsyncs: the log is written under the writer lock, the fsync is
/// waited for after it is released.
///
/// **Failure.** Once the log fails, writes are refused with `poisoned` and
/// the cause; reads keep working; a restart recovers the last durable state.
public final class GraphDatabase: Sendable {
    /// The name of the annotation a snapshot load logs, whose text is the
    /// LSN of the base it wrote (see ``loadSnapshot(from:)``).
    public static let snapshotLoadAnnotation = "graph.snapshot-loaded"

    public let configuration: GraphDatabaseConfiguration
    let wal: WAL<MutationEvent>?
    let snapshots: SnapshotCatalog
    /// The logged and the visible graph, and what lies between them.
    let versions: Mutex<Versions>
    /// Held for the whole of a write transaction: one writer at a time.
    let writerPermit = DispatchSemaphore(value: 1)
    /// The memory of the last transaction's events and their encoding,
    /// for the next one to reuse (only the writer holding the permit
    /// touches it).
    let spareBuffers = Mutex(TransactionBuffers())
    /// Serialises checkpoints, whoever asks for them.
    let checkpointLock = Mutex<Void>(())
    /// Where managed checkpoints run. Background QoS (on Linux, a nice
    /// value of 10 for the thread running them): a checkpoint streams the
    /// whole graph, and at full priority it took about a fifth of the
    /// committing thread's CPU on a two-core machine while it ran. It is
    /// maintenance; commits come first.
    let checkpointQueue = DispatchQueue(label: "graph-database.checkpoints", qos: .background)
    /// Where `async` writes run their transactions, one after another:
    /// writers waiting for their turn queue here as blocks, not as
    /// dispatch threads parked on the writer lock.
    let asyncWriters = DispatchQueue(label: "graph-database.async-writers")
    let checkpointScheduled = Atomic<Bool>(false)
    let sinceCheckpoint: Mutex<CheckpointProgress>
    let closed = Atomic<Bool>(false)
    var logger: Logger { configuration.logger }

    /// The annotations of the transactions recovery replayed from the log
    /// (those above the snapshot it started from), oldest first; the layer
    /// above rebuilds its own state from them (the server's idempotency keys).
    public let recoveredAnnotations: [RecoveredAnnotation]

    init(
        configuration: GraphDatabaseConfiguration, wal: WAL<MutationEvent>?, snapshots: SnapshotCatalog, store: GraphStore,
        lastCommitLSN: LSN, recoveredAnnotations: [RecoveredAnnotation] = [], snapshotBytes: UInt64 = 0
    ) {
        self.sinceCheckpoint = Mutex(CheckpointProgress(snapshotBytes: snapshotBytes))
        self.recoveredAnnotations = recoveredAnnotations
        self.configuration = configuration
        self.wal = wal
        self.snapshots = snapshots
        self.versions = Mutex(Versions(store: store, lsn: lastCommitLSN))
    }

    deinit {
        try? wal?.close()
    }

    // MARK: Reading

    /// The visible graph, as a value the caller owns (a copy is cheap:
    /// copy-on-write). Touches no log.
    public var snapshot: GraphStore { versions.withLock { $0.visible } }

    /// Runs `body` over the visible graph. Touches no log.
    public func read<R>(_ body: (GraphStore) throws -> R) rethrows -> R {
        try body(snapshot)
    }

    /// The log's state, or nil for a database without one. Sizes every
    /// segment file; throws, naming the file, when one cannot be read.
    public func walStatus() throws -> WALStatus? { try wal?.status() }

    /// Why writes are refused, or nil while the log is healthy.
    public var failure: WALError? { wal?.failure }

    /// The highest LSN an fsync covers; `.none` without a log. Cheap: no I/O.
    public var durableLSN: LSN { wal?.durableLSN ?? .none }

    /// The LSN of the last record in the kernel (commits and checkpoint
    /// markers); `.none` without a log. Cheap: no I/O.
    public var writtenLSN: LSN { wal?.writtenLSN ?? .none }

    // MARK: Writing

    /// Runs `body` as one write transaction and commits what it did.
    ///
    /// Throws whatever `body` throws, with nothing changed; `poisoned` once
    /// the log has failed; `notFound`, `conflict` or `invalidValue` when the
    /// graph refuses a mutation. Blocks while another write runs and, under
    /// `always` or with `durable`, until an fsync covers the commit: call it
    /// from a thread, or use the `async` overload. Returns once the
    /// transaction is visible to readers; a transaction logged but never
    /// made visible (its fsync, or that of a durable transaction logged
    /// before it, failed) throws, and readers never see it.
    @inlinable @discardableResult
    public func write<R: Sendable>(durable: Bool = false, _ body: (inout WriteTransaction) throws -> R) throws -> WriteResult<R> {
        // Inlined into the caller, where `R` is known: built here in
        // generic code, a `WriteResult<R>` looked its type up at run time
        // on every write.
        var value: R? = nil
        let written = try writeDiscardingValue(durable: durable) { transaction in value = try body(&transaction) }
        guard let value else { throw GraphDatabaseError(.closed, "the transaction returned no value") }
        return WriteResult(value: value, lsn: written.lsn, isDurable: written.isDurable, eventCount: written.eventCount)
    }

    /// ``write(durable:_:)`` for a body that returns nothing: the part
    /// that does not depend on the body's result type.
    @usableFromInline
    func writeDiscardingValue(durable: Bool, _ body: (inout WriteTransaction) throws -> Void) throws -> WriteResult<Void> {
        let ((), logged) = try runTransaction(durable: durable, body)
        try waitUntilVisible(logged)
        return WriteResult(value: (), lsn: logged.lsn, isDurable: logged.needsFsync, eventCount: logged.eventCount)
    }

    /// The `async` form of ``write(durable:_:)``. The transaction runs on
    /// the database's own serial queue, never on the cooperative pool; the
    /// fsync wait suspends instead of blocking a thread, and is not cut
    /// short by cancellation: once logged, the transaction is committed,
    /// and the caller learns whether an fsync covered it. Like the blocking
    /// form, it returns once the transaction is visible.
    @discardableResult
    public func write<R: Sendable>(
        durable: Bool = false, _ body: @escaping @Sendable (inout WriteTransaction) throws -> R
    ) async throws -> WriteResult<R> {
        let (value, logged): (R, LoggedCommit) = try await withCheckedThrowingContinuation { continuation in
            asyncWriters.async {
                continuation.resume(with: Result { try self.runTransaction(durable: durable, body) })
            }
        }
        if let barrier = logged.visibilityBarrier, let wal {
            do {
                // An unstructured task does not inherit the caller's cancellation.
                try await Task { try await wal.waitUntilDurable(barrier) }.value
            } catch {
                throw notVisible(logged, barrier: barrier, error)
            }
            publishDurable()
        }
        return WriteResult(value: value, lsn: logged.lsn, isDurable: logged.needsFsync, eventCount: logged.eventCount)
    }

    /// Runs `body` as one transaction under the writer lock and logs it,
    /// without waiting for an fsync; rolls back if anything throws.
    ///
    /// Without an ``ExplicitWriteTransaction``: that object (an allocation
    /// and a release per transaction) guards a transaction that outlives
    /// the call, and this one does not.
    private func runTransaction<R>(durable: Bool, _ body: (inout WriteTransaction) throws -> R) throws -> (R, LoggedCommit) {
        var transaction = try acquireWriter()
        let value: R
        do {
            value = try body(&transaction)
        } catch {
            writerPermit.signal()
            throw error
        }
        // `log` releases the writer permit, whether it logs or throws.
        return (value, try log(consume transaction, durable: durable))
    }

    /// Starts an explicit write transaction; it holds the writer lock until
    /// ``ExplicitWriteTransaction/commit(durable:)`` or `rollback()` (or
    /// until it is released, which rolls it back).
    public func beginWrite() throws -> ExplicitWriteTransaction {
        ExplicitWriteTransaction(database: self, transaction: try acquireWriter())
    }

    /// Takes the writer permit (refusing once closed or poisoned) and
    /// starts a transaction on the newest logged graph. The caller releases
    /// the permit: through ``log(_:durable:)``, or itself when it logs nothing.
    private func acquireWriter() throws -> WriteTransaction {
        guard !closed.load(ordering: .acquiring) else {
            throw GraphDatabaseError(.closed, "the database was closed")
        }
        if let failure = wal?.failure {
            throw GraphDatabaseError(.poisoned, "writes are refused until a restart because the log failed: \(failure)")
        }
        writerPermit.wait()
        // Writers build on the newest logged graph, visible or not: the log
        // orders transactions, so the next one follows the last one logged.
        let store = versions.withLock { $0.logged }
        let buffers = spareBuffers.withLock { spare in
            var taken = TransactionBuffers()
            swap(&taken, &spare)
            return taken
        }
        return WriteTransaction(store: store, buffers: buffers)
    }

    /// Logs a finished transaction, publishes it to readers unless it must
    /// wait for an fsync (its own, or a durable transaction's logged before
    /// it), and releases the writer permit it was called with. Waiting, if
    /// any, is left to ``waitUntilVisible(_:)``, so that concurrent writers
    /// share fsyncs.
    func log(_ transaction: consuming WriteTransaction, durable: Bool) throws -> LoggedCommit {
        let eventCount = transaction.events.count
        guard eventCount > 0 else {
            writerPermit.signal()
            return LoggedCommit(lsn: .none, needsFsync: false, eventCount: 0)
        }
        guard let wal else {
            let retired = versions.withLock { $0.replaceAll(with: transaction.store, lsn: .none) }
            writerPermit.signal()
            // The displaced version is freed here, outside the lock readers take.
            drop(retired)
            return LoggedCommit(lsn: .none, needsFsync: false, eventCount: eventCount)
        }
        let commit: Commit
        let bytesBefore = wal.appendedBytes
        do {
            // The events a node creation encoded are copied as they are;
            // the commit encodes the rest.
            var buffers = transaction.takeBuffers()
            let logged = try wal.commit(
                encoded: buffers.encoded, then: buffers.events[buffers.encoded.count...], durability: .written)
            buffers.removeAll()
            spareBuffers.withLock { swap(&$0, &buffers) }
            guard let logged else {
                writerPermit.signal()
                return LoggedCommit(lsn: .none, needsFsync: false, eventCount: 0)
            }
            commit = logged
        } catch {
            writerPermit.signal()
            throw GraphDatabaseError.wrap(error, "cannot log the transaction")
        }
        let needsFsync = durable || wal.syncMode == .always
        let (barrier, retired) = versions.withLock {
            $0.append(transaction.store, lsn: commit.commitLSN, needsFsync: needsFsync)
        }
        writerPermit.signal()
        drop(retired)
        noteCommit(bytes: wal.appendedBytes - bytesBefore)
        return LoggedCommit(lsn: commit.commitLSN, needsFsync: needsFsync, eventCount: eventCount, visibilityBarrier: barrier)
    }

    /// Blocks until `logged` is visible: until an fsync covers the durable
    /// transaction it waits behind (itself, when it needs an fsync), then
    /// publishes what became durable.
    func waitUntilVisible(_ logged: LoggedCommit) throws {
        guard let barrier = logged.visibilityBarrier, let wal else { return }
        do {
            try wal.waitUntilDurable(barrier)
        } catch {
            throw notVisible(logged, barrier: barrier, error)
        }
        publishDurable()
    }

    /// Makes visible every logged graph that no longer waits for an fsync.
    func publishDurable() {
        guard let wal else { return }
        let durable = wal.durableLSN
        let retired = versions.withLock { $0.publish(durableUpTo: durable) }
        drop(retired)
    }

    /// The error of a transaction that was logged but will never be shown.
    private func notVisible(_ logged: LoggedCommit, barrier: LSN, _ error: any Error) -> GraphDatabaseError {
        let context =
            barrier == logged.lsn
            ? "the transaction at LSN \(logged.lsn) was logged but its fsync failed; it is not visible and may not survive a crash"
            : "the transaction at LSN \(logged.lsn) was logged after a durable one (LSN \(barrier)) whose fsync failed; neither is visible and they may not survive a crash"
        return GraphDatabaseError.wrap(error, context)
    }

    /// Writes, fsyncs and closes the log; later writes fail with `closed`.
    public func close() throws {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        checkpointQueue.sync {}
        writerPermit.wait()
        defer { writerPermit.signal() }
        do {
            try wal?.close()
        } catch {
            throw GraphDatabaseError.wrap(error, "cannot close the log")
        }
    }
}

/// A write transaction started with ``GraphDatabase/beginWrite()``.
///
/// Use it from one thread. It holds the database's writer lock until
/// `commit` or `rollback`; releasing it without either rolls it back.
public final class ExplicitWriteTransaction {
    let database: GraphDatabase
    var transaction: WriteTransaction
    private var finished = false

    init(database: GraphDatabase, transaction: WriteTransaction) {
        self.database = database
        self.transaction = transaction
    }

    deinit { rollback() }

    /// Runs `body` against the transaction.
    public func run<R>(_ body: (inout WriteTransaction) throws -> R) throws -> R {
        guard !finished else { throw GraphDatabaseError(.closed, "the transaction already ended") }
        return try body(&transaction)
    }

    /// The graph as this transaction sees it.
    public var store: GraphStore { transaction.store }

    /// Logs the transaction and returns its commit LSN once it is visible
    /// (under `always` or with `durable`, once an fsync covers it).
    @discardableResult
    public func commit(durable: Bool = false) throws -> (lsn: LSN, isDurable: Bool, eventCount: Int) {
        let logged = try log(durable: durable)
        try database.waitUntilVisible(logged)
        return (logged.lsn, logged.needsFsync, logged.eventCount)
    }

    /// Logs the transaction, without waiting for it to become visible.
    func log(durable: Bool) throws -> LoggedCommit {
        guard !finished else { throw GraphDatabaseError(.closed, "the transaction already ended") }
        finished = true
        return try database.log(transaction, durable: durable)
    }

    /// Discards everything the transaction did; nothing reaches the log.
    public func rollback() {
        guard !finished else { return }
        finished = true
        database.writerPermit.signal()
    }
}

/// Releases versions of the graph displaced under the `versions` lock,
/// once that lock is released.
///
/// Freeing a version frees whatever it does not share with the newer ones:
/// for a transaction's predecessor one path per entity it touched, but for
/// a version displaced by a load or a `clear`, possibly the whole graph. It
/// must not happen while readers wait for the lock, so the `Versions`
/// methods hand what they displaced back, and their callers drop it here.
@inline(never)
func drop(_ retired: consuming RetiredVersions) {
    _ = consume retired
}

/// Versions of the graph a `Versions` method displaced. A commit displaces
/// the logged and the visible version, which are held without an array
/// (an allocation per commit); rarer paths hand over more.
struct RetiredVersions {
    var logged: GraphStore?
    var visible: GraphStore?
    var others: [GraphStore] = []
}

/// A transaction in the log, and what its writer must still wait for.
struct LoggedCommit: Sendable {
    var lsn: LSN
    var needsFsync: Bool
    var eventCount: Int
    /// The LSN an fsync must cover before the transaction is visible: its
    /// own commit when it needs an fsync, else the newest durable-required
    /// commit logged before it and still waiting. Nil when it is visible.
    var visibilityBarrier: LSN? = nil
}

/// The graph versions between the log and the readers.
///
/// Writers build on `logged`, the graph after the newest logged commit.
/// Readers see `visible`. In between, `pending` holds the logged graphs not
/// yet shown, in LSN order: a graph is published once nothing ahead of it
/// (itself included) still waits for an fsync. If that fsync fails, the log
/// is poisoned and the pending graphs are never shown.
struct Versions {
    var logged: GraphStore
    /// The commit LSN of `logged` (or the snapshot's, before any commit).
    var loggedLSN: LSN
    var visible: GraphStore
    var pending: [Pending] = []

    struct Pending {
        var store: GraphStore
        var lsn: LSN
        var needsFsync: Bool
    }

    init(store: GraphStore, lsn: LSN) {
        logged = store
        loggedLSN = lsn
        visible = store
    }

    /// Records a newly logged graph. With nothing pending and no fsync to
    /// wait for it is visible at once (the path of plain group-sync writes);
    /// otherwise returns the LSN an fsync must reach before it shows.
    ///
    /// Also returns the versions it displaced, for the caller to drop after
    /// the lock (see `drop(_:)`).
    mutating func append(_ store: GraphStore, lsn: LSN, needsFsync: Bool) -> (barrier: LSN?, retired: RetiredVersions) {
        var retired = RetiredVersions(logged: logged)
        logged = store
        loggedLSN = lsn
        if pending.isEmpty && !needsFsync {
            retired.visible = visible
            visible = store
            return (nil, retired)
        }
        let barrier = needsFsync ? lsn : pending.last(where: \.needsFsync)?.lsn
        pending.append(Pending(store: store, lsn: lsn, needsFsync: needsFsync))
        guard let barrier else {
            // Unreachable while every pending run starts with a durable
            // commit; publishing here keeps the invariant if it ever did not.
            let published = publish(durableUpTo: .none)
            retired.visible = published.visible
            retired.others = published.others
            return (nil, retired)
        }
        return (barrier, retired)
    }

    /// Publishes pending graphs, in order, up to the first that still waits
    /// for an fsync beyond `durable`.
    /// Returns the versions it displaced.
    mutating func publish(durableUpTo durable: LSN) -> RetiredVersions {
        var published = 0
        for entry in pending {
            if entry.needsFsync && entry.lsn > durable { break }
            published += 1
        }
        guard published > 0 else { return RetiredVersions() }
        var retired = RetiredVersions(visible: visible)
        retired.others = pending[0..<published].map(\.store)
        visible = pending[published - 1].store
        pending.removeFirst(published)
        return retired
    }

    /// Replaces every version at once: a commit without a log, or a loaded
    /// snapshot (whose writer made everything logged durable first).
    /// Returns the versions it displaced.
    mutating func replaceAll(with store: GraphStore, lsn: LSN) -> RetiredVersions {
        let retired = RetiredVersions(logged: logged, visible: visible, others: pending.map(\.store))
        logged = store
        loggedLSN = lsn
        visible = store
        pending.removeAll()
        return retired
    }
}
