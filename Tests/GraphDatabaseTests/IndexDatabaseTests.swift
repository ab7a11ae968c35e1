import Dispatch
import Foundation
import GraphStore
import Synchronization
import Testing
import WALTestSupport
import WriteAheadLog

@testable import GraphDatabase

/// The real file system, except that the first write to a snapshot's temp
/// file stops until the test lets it go: a checkpoint caught mid-stream.
final class PausingSnapshotFileSystem: WrappingFileSystem {
    let base = PosixFileSystem()
    /// Signalled when a snapshot write is waiting.
    let reached = DispatchSemaphore(value: 0)
    /// Signalled by the test to let it go on.
    let proceed = DispatchSemaphore(value: 0)
    let paused = Atomic<Bool>(false)

    func openFile(_ path: String, mode: FileOpenMode) throws -> any StorageFile {
        let file = try base.openFile(path, mode: mode)
        // Only a snapshot's temp file: the log's new segments are `.tmp` files too.
        guard path.hasSuffix(".snap" + SnapshotCatalog.temporarySuffix) else { return file }
        return PausingFile(inner: file, owner: self)
    }
}

final class PausingFile: WrappingStorageFile {
    let inner: any StorageFile
    let owner: PausingSnapshotFileSystem

    init(inner: any StorageFile, owner: PausingSnapshotFileSystem) {
        self.inner = inner
        self.owner = owner
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        if !owner.paused.exchange(true, ordering: .acquiringAndReleasing) {
            owner.reached.signal()
            owner.proceed.wait()
        }
        try inner.write(bytes, at: offset)
    }
}

/// What a checkpoint on another thread returned.
final class CheckpointOutcome: Sendable {
    let result = Mutex<Result<CheckpointResult, any Error>?>(nil)
}

@Suite("GraphDatabase property indexes and streamed checkpoints")
struct IndexDatabaseTests {
    @Test("an index and its unique constraint survive recovery from the log and from a snapshot")
    func indexSurvivesRecovery() throws {
        let directory = TemporaryDirectory()
        let configuration = GraphDatabaseConfiguration.dataDirectory(directory.path)
        var (database, _) = try GraphDatabase.open(configuration)
        try database.write { tx in
            try tx.createIndex(label: "User", key: "email", unique: true)
            try tx.createNode(labels: ["User"], properties: ["email": "ada@x"])
        }
        for round in 0..<2 {
            let dump = database.snapshot.dump()
            try database.close()
            let reopened = try GraphDatabase.open(configuration)
            database = reopened.database
            #expect(database.snapshot.dump() == dump)
            #expect(database.snapshot.indexes == [PropertyIndexDescription(label: "User", key: "email", isUnique: true)])
            #expect(reopened.recovery.snapshotPath != nil || round == 0)
            #expect(database.snapshot.nodes(label: "User", propertyKey: "email", value: "ada@x", limit: 2).items.count == 1)
            let refused = #expect(throws: GraphDatabaseError.self) {
                try database.write { tx in try tx.createNode(labels: ["User"], properties: ["email": "ada@x"]) }
            }
            #expect(refused?.code == .conflict)
            #expect(refused?.graphError?.code == .uniqueConstraintViolation)
            try database.checkpoint()
        }
        try database.close()
    }

    @Test("concurrent mergeNode calls on one key create exactly one node")
    func concurrentMerges() async throws {
        let (database, _) = try GraphDatabase.open()
        try await database.write { tx in try tx.createIndex(label: "Tag", key: "name", unique: true) }
        let ids = try await withThrowingTaskGroup(of: NodeID.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    try await database.write { tx in try tx.mergeNode(label: "Tag", key: "name", value: "swift").id }.value
                }
            }
            return try await group.reduce(into: Set<NodeID>()) { $0.insert($1) }
        }
        #expect(ids.count == 1)
        #expect(database.snapshot.nodeCount == 1)
        try database.close()
    }

    @Test("writers commit while a checkpoint streams its snapshot, which holds the graph as it was")
    func writesDuringCheckpoint() throws {
        let directory = TemporaryDirectory()
        let fileSystem = PausingSnapshotFileSystem()
        var configuration = GraphDatabaseConfiguration.dataDirectory(directory.path)
        configuration.wal.fileSystem = fileSystem
        let (database, _) = try GraphDatabase.open(configuration)
        try runWorkload(database, rounds: 10)
        let atCheckpoint = database.snapshot.dump()
        let finished = DispatchSemaphore(value: 0)
        let outcome = CheckpointOutcome()
        Thread.detachNewThread {
            let result = Result { try database.checkpoint() }
            outcome.result.withLock { $0 = result }
            finished.signal()
        }
        // A checkpoint that failed before writing never gets here: fail, not hang.
        let reached = fileSystem.reached.wait(timeout: .now() + 120) == .success
        #expect(reached, "the checkpoint reached its snapshot write")
        // The checkpoint is stopped in the middle of writing its snapshot.
        let written = try database.write { tx in try tx.createNode(labels: ["During"]) }
        #expect(database.snapshot.node(written.value) != nil)
        fileSystem.proceed.signal()
        #expect(finished.wait(timeout: .now() + 120) == .success, "the checkpoint finished")
        let checkpoint = try #require(try outcome.result.withLock { $0 }?.get())
        #expect(checkpoint.walLSN < written.lsn)
        let loaded = try SnapshotFiles(fileSystem: PosixFileSystem()).load(checkpoint.path)
        #expect(loaded.walLSN == checkpoint.walLSN)
        #expect(loaded.store.dump() == atCheckpoint, "the snapshot holds the version it started from")
        try expectRestartRecovers(database.snapshot.dump(), closing: database, .dataDirectory(directory.path))
    }
}
