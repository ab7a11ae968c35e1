import GraphStore
import WriteAheadLog

/// Applying another database's transactions: what a read replica does with
/// the transactions it reads from that database's archive.
///
/// Only a database without a log of its own applies them (its log would
/// number them differently); the graph version they make is visible at
/// once, stamped with the LSN the other database committed it at.
extension GraphDatabase {
    /// The commit LSN of the newest graph: the last transaction logged, or
    /// applied from another database's log, or the snapshot's before any.
    public var lastCommitLSN: LSN { versions.withLock { $0.loggedLSN } }

    /// Applies the events of one transaction another database committed at
    /// `commitLSN`, all or nothing, and makes the result visible.
    ///
    /// - Throws: `unavailable` for a database with its own log; `conflict`
    ///   when `commitLSN` is not above the last one applied (a transaction
    ///   applied twice, or out of order); the graph's refusal, with nothing
    ///   changed, when an event does not fit the graph; `closed`.
    public func applyReplicated(_ events: [MutationEvent], commitLSN: LSN) throws {
        try requireNoLog("apply another database's transaction")
        writerPermit.wait()
        defer { writerPermit.signal() }
        var (store, last) = versions.withLock { ($0.logged, $0.loggedLSN) }
        guard commitLSN > last else {
            throw GraphDatabaseError(
                .conflict, "the transaction committed at LSN \(commitLSN) is not after the last one applied, at LSN \(last)")
        }
        for event in events {
            do {
                try store.apply(event)
            } catch {
                throw GraphDatabaseError.wrap(error, "cannot apply the transaction committed at LSN \(commitLSN)")
            }
        }
        drop(versions.withLock { $0.replaceAll(with: store, lsn: commitLSN) })
    }

    /// Replaces the graph with `store`, stamped `lsn`: a replica starting
    /// from a snapshot, or following a snapshot load of the database it
    /// replicates.
    ///
    /// - Throws: `unavailable` for a database with its own log; `closed`.
    public func replaceReplicated(with store: GraphStore, lsn: LSN) throws {
        try requireNoLog("take another database's graph")
        writerPermit.wait()
        defer { writerPermit.signal() }
        drop(versions.withLock { $0.replaceAll(with: store, lsn: lsn) })
    }

    private func requireNoLog(_ action: String) throws {
        guard !closed.load(ordering: .acquiring) else {
            throw GraphDatabaseError(.closed, "the database was closed")
        }
        guard wal == nil else {
            throw GraphDatabaseError(.unavailable, "cannot \(action): this database has a log of its own, which numbers its own transactions")
        }
    }
}

extension GraphDatabase {
    /// The LSN of the snapshot a transaction made the new base, when the
    /// transaction is what a snapshot load logs (its one annotation); nil
    /// for any other. A replica replaces its graph with that snapshot there.
    public static func loadedSnapshotLSN(of events: [MutationEvent]) -> LSN? {
        guard events.count == 1, case .annotation(let name, let text) = events[0], name == snapshotLoadAnnotation,
            let lsn = UInt64(text)
        else { return nil }
        return LSN(lsn)
    }
}
