import Dispatch
import Foundation
import GraphStore
import Synchronization
import Testing
import WALTestSupport
import WriteAheadLog

@testable import GraphDatabase

#if canImport(Glibc)
import Glibc
#endif

/// A value shared between a test and the threads or hooks it starts.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R { try mutex.withLock { try body(&$0) } }
    var value: Value { mutex.withLock { $0 } }
}

/// Where the caller asked for durability, a transaction becomes visible
/// only once an fsync covers it: a reader never sees one whose fsync fails.
@Suite("GraphDatabase visibility and durability")
struct VisibilityTests {
    enum Mode: String, CaseIterable, CustomTestStringConvertible {
        /// `SyncMode.always`: every write is durable-required.
        case always
        /// `groupSync` with `durable: true` on the write.
        case durableUnderGroupSync
        var testDescription: String { rawValue }
        var syncMode: SyncMode { self == .always ? .always : .groupSync(interval: .seconds(3600)) }
        var durable: Bool { self == .durableUnderGroupSync }
    }

    enum API: String, CaseIterable, CustomTestStringConvertible {
        case blocking, async, explicit
        var testDescription: String { rawValue }
    }

    /// A database on a simulated disk whose log fsyncs call `onLogFsync`
    /// first, on the fsyncing thread.
    final class Harness: Sendable {
        let disk = SimulatedDisk(seed: 7)
        let database: GraphDatabase
        let onLogFsync = Shared<(@Sendable () -> Void)?>(nil)

        init(_ syncMode: SyncMode) throws {
            var configuration = GraphDatabaseConfiguration.dataDirectory("/db", syncMode)
            configuration.wal.fileSystem = disk.fileSystem()
            database = try GraphDatabase.open(configuration).database
            disk.setHook { [onLogFsync] operation, path in
                guard operation == .fileSync, path.contains("/wal/") else { return }
                onLogFsync.withLock { $0 }?()
            }
        }

        deinit {
            disk.setHook(nil)
            try? database.close()
        }

        func write(_ api: API, durable: Bool, label: String) async throws {
            switch api {
            case .blocking:
                try writeBlocking(durable: durable, label: label)
            case .async:
                try await database.write(durable: durable) { tx in _ = try tx.createNode(labels: [label]) }
            case .explicit:
                let transaction = try database.beginWrite()
                _ = try transaction.run { tx in try tx.createNode(labels: [label]) }
                try transaction.commit(durable: durable)
            }
        }

        /// The blocking `write`, which an `async` caller would not pick.
        func writeBlocking(durable: Bool, label: String) throws {
            try database.write(durable: durable) { tx in _ = try tx.createNode(labels: [label]) }
        }

        func visible(_ label: String) -> Bool { database.read { !$0.nodes(label: label, limit: 1).items.isEmpty } }
    }

    @Test("a durable write whose fsync fails is never visible to readers, before or after the failure", arguments: Mode.allCases, API.allCases)
    func failedFsyncNeverVisible(mode: Mode, api: API) async throws {
        let harness = try Harness(mode.syncMode)
        try await harness.write(api, durable: mode.durable, label: "Before")
        let seenDuringFsync = Shared<[Bool]>([])
        harness.onLogFsync.withLock { hook in
            hook = { [harness] in seenDuringFsync.withLock { $0.append(harness.visible("Doomed")) } }
        }
        harness.disk.inject(FaultRule(.fileSync, errno: EIO, pathContains: "/wal/", times: nil))
        await #expect(throws: GraphDatabaseError.self) { try await harness.write(api, durable: mode.durable, label: "Doomed") }
        #expect(!seenDuringFsync.withLock { $0 }.isEmpty, "the failing fsync ran")
        #expect(!seenDuringFsync.withLock { $0 }.contains(true), "visible while its fsync was in flight")
        #expect(!harness.visible("Doomed"), "visible after its fsync failed")
        #expect(harness.visible("Before"))
    }

    @Test("under group sync, a plain write logged after a pending durable one waits for it, and neither shows when its fsync fails")
    func heldBackBehindFailedDurableWrite() throws {
        let harness = try Harness(Mode.durableUnderGroupSync.syncMode)
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let first = Shared(true)
        harness.onLogFsync.withLock { hook in
            hook = {
                guard first.withLock({ first in defer { first = false }; return first }) else { return }
                entered.signal()
                release.wait()
            }
        }
        harness.disk.inject(FaultRule(.fileSync, errno: EIO, pathContains: "/wal/", times: nil))
        let outcomes = Shared<[String: Bool]>([:])
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            let ok = (try? harness.database.write(durable: true) { tx in _ = try tx.createNode(labels: ["Durable"]) }) != nil
            outcomes.withLock { $0["durable"] = ok }
        }
        entered.wait()  // the durable write is logged; its fsync is in flight
        let nextBefore = harness.database.wal?.nextLSN ?? .none
        DispatchQueue.global().async(group: group) {
            let ok = (try? harness.database.write { tx in _ = try tx.createNode(labels: ["Plain"]) }) != nil
            outcomes.withLock { $0["plain"] = ok }
        }
        // Wait (without a deadline on the outcome) until the plain write is logged.
        for _ in 0..<10_000 where (harness.database.wal?.nextLSN ?? .none) == nextBefore { usleep(1000) }
        #expect((harness.database.wal?.nextLSN ?? .none) > nextBefore, "the plain write was logged while the fsync was in flight")
        // Give a write that wrongly returns early the chance to do so; a
        // correct one is still waiting whatever this loop does.
        for _ in 0..<200 where outcomes.withLock({ $0["plain"] }) == nil { usleep(1000) }
        #expect(!harness.visible("Plain"), "a version after a pending durable one is held back")
        #expect(!harness.visible("Durable"))
        #expect(outcomes.withLock { $0["plain"] } == nil, "the plain write returns only once visible")
        release.signal()
        group.wait()
        #expect(outcomes.withLock { $0 } == ["durable": false, "plain": false])
        #expect(!harness.visible("Durable") && !harness.visible("Plain"))
    }

    @Test("concurrent durable writers still share fsyncs", arguments: [Mode.always, .durableUnderGroupSync])
    func durableWritersShareFsyncs(mode: Mode) throws {
        let harness = try Harness(mode.syncMode)
        let writers = 16
        let warmup = try (0..<2).map { _ in try harness.database.write(durable: mode.durable) { tx in try tx.createNode() }.lsn }
        let target = warmup[1].rawValue + (warmup[1].rawValue - warmup[0].rawValue) * UInt64(writers)
        let first = Shared(true)
        // Hold the first fsync until every other writer has logged its
        // commit: they can only do so if none waits under the writer lock.
        harness.onLogFsync.withLock { hook in
            hook = { [harness] in
                guard first.withLock({ first in defer { first = false }; return first }) else { return }
                for _ in 0..<10_000 {
                    if harness.database.wal.map({ $0.nextLSN.rawValue - 1 }) ?? 0 >= target { break }
                    usleep(1000)
                }
            }
        }
        let before = harness.disk.statistics.fileSyncs
        // One thread per writer: a pool the size of this machine would not
        // let them all be in flight at once.
        let group = DispatchGroup()
        let durable = Shared(0)
        for index in 0..<writers {
            group.enter()
            Thread {
                defer { group.leave() }
                let result = try? harness.database.write(durable: mode.durable) { tx in try tx.createNode(properties: ["i": .int(Int64(index))]) }
                if result?.isDurable == true { durable.withLock { $0 += 1 } }
            }.start()
        }
        group.wait()
        let fsyncs = harness.disk.statistics.fileSyncs - before
        #expect(durable.value == writers)
        #expect(fsyncs < writers, "\(fsyncs) fsyncs for \(writers) durable writes")
        #expect(harness.database.snapshot.nodeCount == writers + 2)
    }

    @Test("under group sync a plain write is visible when its call returns, without waiting for an fsync", arguments: [API.blocking, .async, .explicit])
    func plainGroupSyncWriteVisibleOnReturn(api: API) async throws {
        let harness = try Harness(.groupSync(interval: .seconds(3600)))
        let fsyncs = harness.disk.statistics.fileSyncs
        try await harness.write(api, durable: false, label: "Plain")
        #expect(harness.visible("Plain"))
        #expect(harness.disk.statistics.fileSyncs == fsyncs, "no fsync waited for")
        let status = try #require(try harness.database.walStatus())
        #expect(status.durableLSN < status.writtenLSN)
    }
}
