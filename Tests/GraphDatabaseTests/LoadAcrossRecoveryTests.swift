import Foundation
import GraphStore
import Testing
import WALTestSupport
import WriteAheadLog

@testable import GraphDatabase

@Suite("A snapshot load in the log's history")
struct LoadAcrossRecoveryTests {
    /// A data directory whose history is: writes, a checkpoint, a load of
    /// another graph, more writes; the log is kept whole (as an archive
    /// keeps it). Returns the data directory, the snapshot from before the
    /// load (copied aside: the load deletes it), and the graph at the end.
    static func history(_ temporary: TemporaryDirectory) async throws -> (data: String, before: String, beforeLSN: LSN, final: String) {
        let other = temporary.child("other")
        let (source, _) = try GraphDatabase.open(GraphDatabaseConfiguration(storage: .dataDirectory(other)))
        // More nodes than the database had, so the ids the writes after the load
        // take are free in the older graph too: a replay across the load runs
        // without an error of its own.
        for index in 0..<40 { _ = try await source.write { tx in _ = try tx.createNode(labels: ["Loaded"], properties: ["i": .int(Int64(index))]) } }
        let loadedFile = try source.checkpoint().path
        try source.close()

        let data = temporary.child("data")
        var configuration = GraphDatabaseConfiguration(
            storage: .dataDirectory(data), wal: WALOptions(syncMode: .none, segmentTargetBytes: 2048), checkpointEveryBytes: nil)
        configuration.logRetention = { .none }
        let (database, _) = try GraphDatabase.open(configuration)
        for index in 0..<20 { _ = try await database.write { tx in _ = try tx.createNode(labels: ["Before"], properties: ["i": .int(Int64(index))]) } }
        let checkpoint = try database.checkpoint()
        let before = temporary.child("before.snap")
        try FileManager.default.copyItem(atPath: checkpoint.path, toPath: before)
        for index in 0..<5 { _ = try await database.write { tx in _ = try tx.createNode(labels: ["Between"], properties: ["i": .int(Int64(index))]) } }
        try database.loadSnapshot(from: loadedFile)
        for index in 0..<4 { _ = try await database.write { tx in _ = try tx.createNode(labels: ["After"], properties: ["i": .int(Int64(index))]) } }
        let final = database.snapshot.dump()
        try database.close()
        return (data, before, checkpoint.walLSN, final)
    }

    @Test("recovery from a snapshot older than a load refuses, naming the load, instead of replaying the log into a graph that never was")
    func olderSnapshotRefused() async throws {
        let temporary = TemporaryDirectory()
        let (data, before, beforeLSN, final) = try await Self.history(temporary)

        // What a restore from an archive that lacks the load's base gives: the older snapshot and the whole log.
        let restored = temporary.child("restored")
        try FileManager.default.createDirectory(atPath: restored + "/snapshots", withIntermediateDirectories: true)
        let restoredLayout = GraphDatabaseConfiguration(storage: .dataDirectory(restored))
        try FileManager.default.copyItem(atPath: before, toPath: try #require(restoredLayout.snapshotPath(for: beforeLSN)))
        try FileManager.default.copyItem(atPath: data + "/wal", toPath: restored + "/wal")

        let error = #expect(throws: GraphDatabaseError.self) {
            _ = try GraphDatabase.open(GraphDatabaseConfiguration(storage: .dataDirectory(restored)))
        }
        #expect(error?.description.contains("replaced by a snapshot load") == true, "\(String(describing: error))")

        // The data directory itself, which holds the load's base, recovers the final graph.
        let (database, _) = try GraphDatabase.open(GraphDatabaseConfiguration(storage: .dataDirectory(data)))
        #expect(database.snapshot.dump() == final)
        try database.close()
    }

    @Test("after a load and a restart, loading the newest snapshot without a path is not refused: the load's own annotation discards nothing")
    func reloadAfterRestart() async throws {
        let temporary = TemporaryDirectory()
        let other = temporary.child("other")
        let (source, _) = try GraphDatabase.open(GraphDatabaseConfiguration(storage: .dataDirectory(other)))
        _ = try await source.write { tx in _ = try tx.createNode(labels: ["Loaded"], properties: [:]) }
        let loadedFile = try source.checkpoint().path
        try source.close()

        let configuration = GraphDatabaseConfiguration(storage: .dataDirectory(temporary.child("data")), checkpointEveryBytes: nil)
        let (database, _) = try GraphDatabase.open(configuration)
        _ = try await database.write { tx in _ = try tx.createNode(labels: ["Mine"], properties: [:]) }
        try database.loadSnapshot(from: loadedFile)
        let loaded = database.snapshot.dump()
        try database.close()

        // The restart replays the load's annotation; nothing was committed after the base.
        let (reopened, recovery) = try GraphDatabase.open(configuration)
        #expect(recovery.transactionsReplayed == 1)
        try reopened.loadSnapshot()
        #expect(reopened.snapshot.dump() == loaded)
        try reopened.close()
    }
}
