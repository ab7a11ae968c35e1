import GraphDatabase
import GraphStore
import Synchronization
import WALArchive
import WriteAheadLog

/// `walctl archive verify --replay`: rebuilds the graph from the archive
/// and checks it against every archived snapshot.
///
/// The rebuild starts as early as the archive allows (LSN 1, or the oldest
/// snapshot retention kept) and applies every committed transaction in
/// order, as recovery would; each later snapshot must equal the graph
/// rebuilt up to its LSN. A snapshot load on the primary (its annotation)
/// continues from the snapshot it names, as a replica does. So a snapshot
/// that a bug or a damaged writer made inconsistent with the log is found,
/// which hashes alone cannot see: a snapshot's hashes only say it is the
/// snapshot that was written.
enum ArchiveReplay {
    struct Report: Sendable {
        /// The LSN the rebuild started from (0: an empty graph at LSN 1).
        var startLSN: LSN
        /// The last LSN the rebuild reached.
        var lastLSN: LSN
        var transactions = 0
        /// The snapshots compared with the rebuilt graph, ascending.
        var compared: [LSN] = []
        /// Snapshot loads followed.
        var loads = 0
        var nodeCount = 0
        var relationshipCount = 0
    }

    /// What the rebuild holds between transactions.
    private final class State: Sendable {
        struct Value {
            var graph: GraphStore
            var report: Report
            /// Snapshots not compared yet, ascending.
            var pending: [LSN]
        }
        let value: Mutex<Value>
        init(_ value: Value) { self.value = Mutex(value) }
    }

    static func run(store: any ArchiveStore, prefix: String) async throws -> Report {
        let follower = ArchiveFollower<MutationEvent>(store: store, prefix: prefix)
        let start = try await follower.start(oldest: true)
        let startLSN = start?.lsn ?? .none
        let graph = try start.map { try decode($0, key: ArchiveLayout(prefix: prefix).snapshotKey(lsn: $0.lsn)) } ?? GraphStore()
        let pending = try await follower.snapshotLSNs().filter { $0 > startLSN }
        let state = State(.init(graph: graph, report: Report(startLSN: startLSN, lastLSN: startLSN), pending: pending))
        let layout = ArchiveLayout(prefix: prefix)

        /// Compares every pending snapshot at or below `lsn` with the graph.
        @Sendable func compare(through lsn: LSN) async throws {
            while let next = state.value.withLock({ $0.pending.first }), next <= lsn {
                let key = layout.snapshotKey(lsn: next)
                guard let snapshot = try await follower.snapshot(at: next) else {
                    throw ArchiveError(.notFound, "the snapshot disappeared while the archive was replayed", key: key)
                }
                let expected = try decode(snapshot, key: key)
                try state.value.withLock { value in
                    guard value.graph == expected else {
                        throw ArchiveError(
                            .corruption,
                            "the graph rebuilt from the log up to LSN \(next) differs from this snapshot: the log gives \(value.graph.nodeCount) nodes and \(value.graph.relationshipCount) relationships, the snapshot \(expected.nodeCount) and \(expected.relationshipCount)\(firstDifference(value.graph, expected))",
                            key: key)
                    }
                    value.pending.removeFirst()
                    value.report.compared.append(next)
                }
            }
        }

        _ = try await follower.poll { transaction in
            if let base = GraphDatabase.loadedSnapshotLSN(of: transaction.events) {
                // The snapshots before the load's base are the log's graph;
                // the base itself is the loaded graph, not the log's.
                try await compare(through: LSN(base.rawValue - 1))
                let key = layout.snapshotKey(lsn: base)
                guard let snapshot = try await follower.snapshot(at: base) else {
                    throw ArchiveError(
                        .notFound,
                        "the snapshot load committed at LSN \(transaction.commitLSN) made the snapshot at LSN \(base) the new base, and the archive does not hold it: the replay cannot go past the load",
                        key: key)
                }
                let loaded = try decode(snapshot, key: key)
                state.value.withLock { value in
                    value.graph = loaded
                    value.report.loads += 1
                    // The base is the graph now; nothing else lies between it and the load.
                    value.pending.removeAll { $0 <= transaction.commitLSN }
                }
            } else {
                try await compare(through: LSN(transaction.beginLSN.rawValue - 1))
                try state.value.withLock { value in
                    for event in transaction.events {
                        do {
                            try value.graph.apply(event)
                        } catch {
                            throw ArchiveError(
                                .corruption, "the transaction committed at LSN \(transaction.commitLSN) does not apply to the graph rebuilt so far: \(error)",
                                key: layout.headKey)
                        }
                    }
                }
            }
            state.value.withLock { value in
                value.report.transactions += 1
                value.report.lastLSN = transaction.commitLSN
            }
            return true
        }
        let last = await follower.appliedLSN
        try await compare(through: last)
        return state.value.withLock { value in
            var report = value.report
            report.lastLSN = max(report.lastLSN, last)
            report.nodeCount = value.graph.nodeCount
            report.relationshipCount = value.graph.relationshipCount
            return report
        }
    }

    private static func decode(_ snapshot: ArchivedSnapshot, key: String) throws -> GraphStore {
        do {
            return try GraphStore.decodeSnapshot(snapshot.body).store
        } catch {
            throw ArchiveError(.corruption, "the snapshot does not decode: \(error)", key: key)
        }
    }

    /// The first node or relationship on which two graphs differ, for the message.
    private static func firstDifference(_ rebuilt: GraphStore, _ snapshot: GraphStore) -> String {
        let left = rebuilt.nodes(limit: .max).items
        let right = snapshot.nodes(limit: .max).items
        for (a, b) in zip(left, right) where a != b {
            return "; first differing node: \(a.id) (log) against \(b.id) (snapshot)"
        }
        if left.count != right.count { return "" }
        return "; the nodes agree, the relationships or id counters differ"
    }
}
