import Dispatch
import GraphStore
import Logging
import Synchronization
import WriteAheadLog

/// An in-memory property graph made durable by a write-ahead log.
///
/// **Isolation.** Write transactions run one at a time (serialisable).
/// Each works on a private copy of the graph; on commit its events go to
/// the log as one transaction and the copy becomes the committed graph. A
/// failed transaction changes nothing, in memory or on disk. Readers get
/// the committed graph as it was when they started (a snapshot), never a
/// transaction in progress, and never wait for writers. A transaction is
/// visible to readers once it is written to the log; its `write` call
/// returns once the sync mode's durability is reached (under `always`,
/// after the fsync), so a reader can see a transaction a moment before its
/// writer hears it is durable.
///
/// **Durability** follows the log's sync mode; `durable: true` on a write
/// waits for an fsync whatever the mode. Commits of concurrent writers
/// share fsyncs: the log is written under the writer lock, the fsync is
/// waited for after it is released.
///
/// **Failure.** Once the log fails, writes are refused with `poisoned` and
/// the cause; reads keep working; a restart recovers the last durable state.
public final class GraphDatabase: Sendable {
    public let configuration: GraphDatabaseConfiguration
    let wal: WAL<MutationEvent>?
    let snapshots: SnapshotCatalog
    /// The committed graph. Readers copy it (a copy is cheap: copy-on-write).
    let committed: Mutex<GraphStore>
    /// Held for the whole of a write transaction: one writer at a time.
    let writerPermit = DispatchSemaphore(value: 1)
    /// Serialises checkpoints, whoever asks for them.
    let checkpointLock = Mutex<Void>(())
    let checkpointQueue = DispatchQueue(label: "graph-database.checkpoints")
    /// Where `async` writes run their transactions, one after another:
    /// writers waiting for their turn queue here as blocks, not as
    /// dispatch threads parked on the writer lock.
    let asyncWriters = DispatchQueue(label: "graph-database.async-writers")
    let checkpointScheduled = Atomic<Bool>(false)
    let sinceCheckpoint = Mutex<(commits: Int, bytes: UInt64)>((0, 0))
    let closed = Atomic<Bool>(false)
    var logger: Logger { configuration.logger }

    init(configuration: GraphDatabaseConfiguration, wal: WAL<MutationEvent>?, snapshots: SnapshotCatalog, store: GraphStore) {
        self.configuration = configuration
        self.wal = wal
        self.snapshots = snapshots
        self.committed = Mutex(store)
    }

    deinit {
        try? wal?.close()
    }

    // MARK: Reading

    /// The committed graph, as a value the caller owns. Touches no log.
    public var snapshot: GraphStore { committed.withLock { $0 } }

    /// Runs `body` over the committed graph. Touches no log.
    public func read<R>(_ body: (GraphStore) throws -> R) rethrows -> R {
        try body(snapshot)
    }

    /// The log's state, or nil for a database without one. Sizes every
    /// segment file; throws, naming the file, when one cannot be read.
    public func walStatus() throws -> WALStatus? { try wal?.status() }

    /// Why writes are refused, or nil while the log is healthy.
    public var failure: String? { wal?.failure }

    // MARK: Writing

    /// Runs `body` as one write transaction and commits what it did.
    ///
    /// Throws whatever `body` throws, with nothing changed; `poisoned` once
    /// the log has failed; `notFound`, `conflict` or `invalidValue` when the
    /// graph refuses a mutation. Blocks while another write runs and, under
    /// `always` or with `durable`, until an fsync covers the commit: call it
    /// from a thread, or use the `async` overload.
    @discardableResult
    public func write<R: Sendable>(durable: Bool = false, _ body: (inout WriteTransaction) throws -> R) throws -> WriteResult<R> {
        let (value, logged) = try runTransaction(durable: durable, body)
        try waitForFsync(logged)
        return WriteResult(value: value, lsn: logged.lsn, isDurable: logged.needsFsync, eventCount: logged.eventCount)
    }

    /// The `async` form of ``write(durable:_:)``. The transaction runs on
    /// the database's own serial queue, never on the cooperative pool; the
    /// fsync wait suspends instead of blocking a thread, and is not cut
    /// short by cancellation: once logged, the transaction is committed,
    /// and the caller learns whether an fsync covered it.
    @discardableResult
    public func write<R: Sendable>(
        durable: Bool = false, _ body: @escaping @Sendable (inout WriteTransaction) throws -> R
    ) async throws -> WriteResult<R> {
        let (value, logged): (R, LoggedCommit) = try await withCheckedThrowingContinuation { continuation in
            asyncWriters.async {
                continuation.resume(with: Result { try self.runTransaction(durable: durable, body) })
            }
        }
        if logged.needsFsync, let wal {
            let lsn = logged.lsn
            do {
                // An unstructured task does not inherit the caller's cancellation.
                try await Task { try await wal.waitUntilDurable(lsn) }.value
            } catch {
                throw GraphDatabaseError.wrap(error, "the transaction at LSN \(lsn) was logged but its fsync failed")
            }
        }
        return WriteResult(value: value, lsn: logged.lsn, isDurable: logged.needsFsync, eventCount: logged.eventCount)
    }

    /// Runs `body` as one transaction under the writer lock and logs it,
    /// without waiting for an fsync; rolls back if anything throws.
    private func runTransaction<R>(durable: Bool, _ body: (inout WriteTransaction) throws -> R) throws -> (R, LoggedCommit) {
        let transaction = try beginWrite()
        do {
            let value = try transaction.run(body)
            return (value, try transaction.log(durable: durable))
        } catch {
            transaction.rollback()
            throw error
        }
    }

    /// Starts an explicit write transaction; it holds the writer lock until
    /// ``ExplicitWriteTransaction/commit(durable:)`` or `rollback()` (or
    /// until it is released, which rolls it back).
    public func beginWrite() throws -> ExplicitWriteTransaction {
        guard !closed.load(ordering: .acquiring) else {
            throw GraphDatabaseError(.closed, "the database was closed")
        }
        if let failure = wal?.failure {
            throw GraphDatabaseError(.poisoned, "writes are refused until a restart because the log failed: \(failure)")
        }
        writerPermit.wait()
        return ExplicitWriteTransaction(database: self, store: snapshot)
    }

    /// Logs and publishes a finished transaction and releases the writer
    /// permit it was called with; the fsync, if one is due, is left to
    /// ``waitForFsync(_:)``, so that concurrent writers share it.
    func log(_ transaction: WriteTransaction, durable: Bool) throws -> LoggedCommit {
        let events = transaction.events
        guard !events.isEmpty else {
            writerPermit.signal()
            return LoggedCommit(lsn: .none, needsFsync: false, eventCount: 0)
        }
        guard let wal else {
            committed.withLock { $0 = transaction.store }
            writerPermit.signal()
            return LoggedCommit(lsn: .none, needsFsync: false, eventCount: events.count)
        }
        let commit: Commit
        let bytesBefore = wal.appendedBytes
        do {
            guard let logged = try wal.commit(events, durability: .written) else {
                writerPermit.signal()
                return LoggedCommit(lsn: .none, needsFsync: false, eventCount: 0)
            }
            commit = logged
        } catch {
            writerPermit.signal()
            throw GraphDatabaseError.wrap(error, "cannot log the transaction")
        }
        committed.withLock { $0 = transaction.store }
        writerPermit.signal()
        noteCommit(bytes: wal.appendedBytes - bytesBefore)
        return LoggedCommit(lsn: commit.commitLSN, needsFsync: durable || wal.syncMode == .always, eventCount: events.count)
    }

    /// Blocks until an fsync covers `logged`, when it needs one.
    func waitForFsync(_ logged: LoggedCommit) throws {
        guard logged.needsFsync, let wal else { return }
        do {
            try wal.waitUntilDurable(logged.lsn)
        } catch {
            throw GraphDatabaseError.wrap(error, "the transaction at LSN \(logged.lsn) was logged but its fsync failed")
        }
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

    init(database: GraphDatabase, store: GraphStore) {
        self.database = database
        self.transaction = WriteTransaction(store: store)
    }

    deinit { rollback() }

    /// Runs `body` against the transaction.
    public func run<R>(_ body: (inout WriteTransaction) throws -> R) throws -> R {
        guard !finished else { throw GraphDatabaseError(.closed, "the transaction already ended") }
        return try body(&transaction)
    }

    /// The graph as this transaction sees it.
    public var store: GraphStore { transaction.store }

    /// Logs the transaction and makes it visible; returns its commit LSN.
    @discardableResult
    public func commit(durable: Bool = false) throws -> (lsn: LSN, isDurable: Bool, eventCount: Int) {
        let logged = try log(durable: durable)
        try database.waitForFsync(logged)
        return (logged.lsn, logged.needsFsync, logged.eventCount)
    }

    /// Logs the transaction and makes it visible, without waiting for an fsync.
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

/// A transaction in the log and visible to readers, and whether its
/// writer must still wait for an fsync.
struct LoggedCommit: Sendable {
    var lsn: LSN
    var needsFsync: Bool
    var eventCount: Int
}
