import Foundation
import GraphStore
import Synchronization
import Testing
import WALTestSupport
import WriteAheadLog

@testable import GraphDatabase

extension GraphDatabaseConfiguration {
    static func dataDirectory(
        _ path: String, _ syncMode: SyncMode = .none, keepSnapshots: Int = 3, segmentTargetBytes: UInt64 = 1 << 20
    ) -> GraphDatabaseConfiguration {
        GraphDatabaseConfiguration(
            storage: .dataDirectory(path),
            wal: WALOptions(syncMode: syncMode, segmentTargetBytes: segmentTargetBytes),
            checkpointEveryCommits: nil, checkpointEveryBytes: nil, keepSnapshots: keepSnapshots)
    }
}

extension GraphDatabaseConfiguration {
    /// A data directory at `root`, or with `explicit` the explicit layout's
    /// log (`root/wal`) and single snapshot file (`root/graph.snap`).
    static func layout(_ root: String, explicit: Bool, segmentTargetBytes: UInt64 = 1 << 20) -> GraphDatabaseConfiguration {
        var configuration = dataDirectory(root, segmentTargetBytes: segmentTargetBytes)
        if explicit {
            configuration.storage = .explicit(walDirectory: root + "/wal", snapshotPath: root + "/graph.snap", restoreFrom: nil)
        }
        return configuration
    }
}

/// Closes `database`, opens `configuration` again and checks that it
/// recovers exactly `dump`; returns what recovery reported.
@discardableResult
func expectRestartRecovers(
    _ dump: String, closing database: GraphDatabase, _ configuration: GraphDatabaseConfiguration,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> RecoveryReport {
    try database.close()
    let (reopened, report) = try GraphDatabase.open(configuration)
    #expect(reopened.snapshot.dump() == dump, "a restart recovers the graph", sourceLocation: sourceLocation)
    try reopened.close()
    return report
}

/// A small mixed workload: people, friendships, property changes, a deletion.
@discardableResult
func runWorkload(_ database: GraphDatabase, rounds: Int, seed: Int = 0) throws -> [NodeID] {
    var created: [NodeID] = []
    for round in 0..<rounds {
        let result = try database.write { tx -> [NodeID] in
            let a = try tx.createNode(labels: ["Person"], properties: ["name": .string("p\(seed)-\(round)a"), "round": .int(Int64(round))])
            let b = try tx.createNode(labels: ["Person", "Admin"], properties: ["score": .double(Double(round) / 3)])
            try tx.createRelationship(type: "KNOWS", from: a, to: b, properties: ["since": .int(2000 + Int64(round))])
            try tx.setNodeProperty(a, key: "tags", value: .list([.string("x"), .bool(true), .null]))
            if round % 3 == 2 { try tx.detachDeleteNode(b) }
            return [a, b]
        }
        created += result.value
    }
    return created
}

/// Copies a directory tree as it is now: what a killed process leaves
/// (every committed byte is in the kernel, nothing more is written).
func crashImage(of source: String, to destination: String) throws {
    try FileManager.default.copyItem(atPath: source, toPath: destination)
    // The copy is not locked by anyone: the "crashed" process is gone.
}

