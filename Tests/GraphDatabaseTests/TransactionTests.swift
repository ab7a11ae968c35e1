import Foundation
import GraphStore
import Testing
import WALTestSupport
import WriteAheadLog

@testable import GraphDatabase

@Suite("GraphDatabase transactions")
struct TransactionTests {
    struct Abort: Error {}

    @Test("an error inside the closure rolls back: no trace in memory or on disk")
    func rollbackOnError() throws {
        let directory = TemporaryDirectory()
        let (database, _) = try GraphDatabase.open(.dataDirectory(directory.path))
        try runWorkload(database, rounds: 2)
        let dump = database.snapshot.dump()
        let walBytes = try #require(try database.walStatus()).nextLSN
        #expect(throws: Abort.self) {
            try database.write { tx in
                try tx.createNode(labels: ["Ghost"])
                throw Abort()
            }
        }
        #expect(database.snapshot.dump() == dump)
        #expect(try #require(try database.walStatus()).nextLSN == walBytes)
        // The writer lock was released: the next write goes through.
        let after = try database.write { tx in try tx.createNode(labels: ["After"]) }.value
        #expect(database.snapshot.node(after)?.labels == ["After"])
        try database.close()
    }

    @Test("a failing operation rolls the whole transaction back and names the problem")
    func failingOperation() throws {
        let (database, _) = try GraphDatabase.open()
        let ids = try database.write { tx in
            let a = try tx.createNode()
            let b = try tx.createNode()
            try tx.createRelationship(type: "R", from: a, to: b)
            return [a, b]
        }.value
        let dump = database.snapshot.dump()
        do {
            try database.write { tx in
                try tx.setNodeProperty(ids[0], key: "k", value: .int(1))
                try tx.deleteNode(ids[0])
            }
            Issue.record("deleting a node with relationships must fail")
        } catch let error as GraphDatabaseError {
            #expect(error.code == .conflict)
        }
        #expect(database.snapshot.dump() == dump)
        do {
            try database.write { tx in try tx.setNodeProperty(NodeID(999), key: "k", value: .int(1)) }
        } catch let error as GraphDatabaseError {
            #expect(error.code == .notFound)
            #expect(error.description.contains("999"))
        }
        try database.close()
    }

    @Test("the explicit begin, commit and rollback form")
    func explicitForm() throws {
        let directory = TemporaryDirectory()
        let (database, _) = try GraphDatabase.open(.dataDirectory(directory.path))
        let rolledBack = try database.beginWrite()
        _ = try rolledBack.run { tx in try tx.createNode(labels: ["Discarded"]) }
        rolledBack.rollback()
        #expect(database.snapshot.nodeCount == 0)

        let transaction = try database.beginWrite()
        let id = try transaction.run { tx in try tx.createNode(labels: ["Kept"]) }
        #expect(database.snapshot.nodeCount == 0, "not visible before commit")
        let outcome = try transaction.commit()
        #expect(outcome.lsn > .none)
        #expect(database.snapshot.node(id)?.labels == ["Kept"])
        try database.close()
    }

    @Test("read-only transactions write no bytes")
    func readOnlyTouchesNoLog() throws {
        let directory = TemporaryDirectory()
        let (database, _) = try GraphDatabase.open(.dataDirectory(directory.path))
        try runWorkload(database, rounds: 3)
        let before = try #require(try database.walStatus())
        let count = database.read { $0.nodeCount }
        let empty = try database.write { tx in tx.store.nodeCount }
        #expect(count == empty.value)
        #expect(empty.lsn == .none && empty.eventCount == 0)
        let after = try #require(try database.walStatus())
        #expect(after.nextLSN == before.nextLSN && after.writtenLSN == before.writtenLSN)
        try database.close()
    }

    @Test("under always, a write returns durable; durable: true forces it under none")
    func durability() async throws {
        let directory = TemporaryDirectory()
        let (database, _) = try GraphDatabase.open(.dataDirectory(directory.child("a"), .always))
        let result = try await database.write { tx in try tx.createNode() }
        #expect(result.isDurable)
        #expect(try #require(try database.walStatus()).durableLSN >= result.lsn)
        try database.close()
        let (lazy, _) = try GraphDatabase.open(.dataDirectory(directory.child("b"), .none))
        let plain = try await lazy.write { tx in try tx.createNode() }
        #expect(!plain.isDurable)
        let forced = try await lazy.write(durable: true) { tx in try tx.createNode() }
        let durableLSN = try #require(try lazy.walStatus()).durableLSN
        #expect(forced.isDurable && durableLSN >= forced.lsn)
        try lazy.close()
    }

    @Test("concurrent writers all commit, each exactly once")
    func concurrentWriters() async throws {
        let directory = TemporaryDirectory()
        let (database, _) = try GraphDatabase.open(.dataDirectory(directory.path, .always))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<16 {
                group.addTask {
                    for index in 0..<5 {
                        try await database.write { tx in try tx.createNode(properties: ["w": .int(Int64(writer)), "i": .int(Int64(index))]) }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(database.snapshot.nodeCount == 80)
        let dump = database.snapshot.dump()
        try database.close()
        let (reopened, _) = try GraphDatabase.open(.dataDirectory(directory.path))
        #expect(reopened.snapshot.dump() == dump)
        try reopened.close()
    }

    @Test("64 async writers queued behind a held writer lock all commit, durable, once it is released")
    func asyncWritersQueue() async throws {
        let directory = TemporaryDirectory()
        let (database, _) = try GraphDatabase.open(.dataDirectory(directory.path, .always))
        let held = try database.beginWrite()
        let writers = Task {
            try await withThrowingTaskGroup(of: WriteResult<NodeID>.self) { group in
                for index in 0..<64 {
                    group.addTask { try await database.write { tx in try tx.createNode(properties: ["i": .int(Int64(index))]) } }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        #expect(database.snapshot.nodeCount == 0)
        held.rollback()
        let results = try await writers.value
        #expect(results.count == 64 && results.allSatisfy(\.isDurable))
        #expect(Set(results.map(\.lsn)).count == 64)
        #expect(database.snapshot.nodeCount == 64)
        try database.close()
    }

    @Test("cancelling an async durable write does not cut its fsync wait short: it returns committed and durable")
    func cancelledAsyncWriteStillDurable() async throws {
        let directory = TemporaryDirectory()
        let (database, _) = try GraphDatabase.open(.dataDirectory(directory.path, .always))
        for index in 0..<20 {
            let write = Task { try await database.write(durable: true) { tx in try tx.createNode(properties: ["i": .int(Int64(index))]) } }
            write.cancel()
            let result = try await write.value
            #expect(result.isDurable)
            #expect(try #require(try database.walStatus()).durableLSN >= result.lsn)
        }
        #expect(database.snapshot.nodeCount == 20)
        try database.close()
    }

    @Test("once the log fails, writes are refused with the cause, reads go on, and a restart recovers")
    func poisoning() throws {
        let directory = TemporaryDirectory()
        let fileSystem = FailingFileSystem()
        var configuration = GraphDatabaseConfiguration.dataDirectory(directory.path, .always)
        configuration.wal.fileSystem = fileSystem
        let (database, _) = try GraphDatabase.open(configuration)
        try runWorkload(database, rounds: 2)
        let durable = database.snapshot
        fileSystem.failSyncs.store(true, ordering: .relaxed)
        #expect(throws: GraphDatabaseError.self) { try database.write { tx in try tx.createNode() } }
        fileSystem.failSyncs.store(false, ordering: .relaxed)
        do {
            try database.write { tx in try tx.createNode() }
            Issue.record("a poisoned database must refuse writes")
        } catch let error as GraphDatabaseError {
            #expect(error.code == .poisoned)
            #expect(error.message.contains("injected fsync failure"))
        }
        #expect(database.read { $0.nodeCount } >= 3)
        #expect(database.failure != nil)
        try? database.close()
        let (reopened, _) = try GraphDatabase.open(.dataDirectory(directory.path))
        // Everything acknowledged is there, unchanged; the failed write's
        // bytes reached the file, so it may be there too.
        for raw in 0..<durable.nextNodeID.rawValue {
            #expect(reopened.snapshot.node(NodeID(raw)) == durable.node(NodeID(raw)))
        }
        #expect(reopened.snapshot.nodeCount - durable.nodeCount <= 1)
        try reopened.close()
    }

    @Test("loading a snapshot makes it the new base that a restart recovers")
    func loadSnapshot() throws {
        let directory = TemporaryDirectory()
        let (database, _) = try GraphDatabase.open(.dataDirectory(directory.child("data")))
        try runWorkload(database, rounds: 3, seed: 1)
        let saved = try database.saveSnapshot(to: directory.child("export.snap"))
        let exported = database.snapshot.dump()
        try runWorkload(database, rounds: 3, seed: 2)
        let loaded = try database.loadSnapshot(from: saved.path)
        #expect(loaded.nodeCount == database.snapshot.nodeCount)
        #expect(database.snapshot.dump() == exported)
        try database.write { tx in try tx.createNode(labels: ["AfterLoad"]) }
        let final = database.snapshot.dump()
        try database.close()
        let (reopened, _) = try GraphDatabase.open(.dataDirectory(directory.child("data")))
        #expect(reopened.snapshot.dump() == final)
        try reopened.close()
    }

    @Test("a data directory path that is a file is refused with the path named")
    func badConfiguration() throws {
        let directory = TemporaryDirectory()
        let file = directory.child("file")
        _ = FileManager.default.createFile(atPath: file, contents: Data([1]))
        do {
            _ = try GraphDatabase.open(.dataDirectory(file))
            Issue.record("expected a configuration error")
        } catch let error as GraphDatabaseError {
            #expect(error.code == .invalidConfiguration)
            #expect(error.path == file)
        }
    }
}

