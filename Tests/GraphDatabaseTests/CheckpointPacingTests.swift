import Dispatch
import Foundation
import GraphStore
import Synchronization
import Testing
import WALTestSupport
import WriteAheadLog

@testable import GraphDatabase

@Suite("Managed checkpoints paced by the snapshot's size")
struct CheckpointPacingTests {
    /// Every byte of log calls for a checkpoint by the fixed threshold, so
    /// only the ratio holds them back.
    static func configuration(_ path: String, ratio: Double?) -> GraphDatabaseConfiguration {
        var configuration = GraphDatabaseConfiguration.dataDirectory(path)
        configuration.checkpointEveryBytes = 1
        configuration.checkpointLogToSnapshotRatio = ratio
        return configuration
    }

    /// Writes one node of about a kilobyte and waits for the managed
    /// checkpoint it may have scheduled; true when one ran.
    static func writeNode(_ database: GraphDatabase, _ number: Int) throws -> Bool {
        try database.write { transaction in
            try transaction.createNode(
                labels: ["Page"],
                properties: ["number": .int(Int64(number)), "text": .string(String(repeating: "x", count: 1000))])
        }
        database.checkpointQueue.sync {}
        return database.sinceCheckpoint.withLock { $0.commits == 0 }
    }

    static func largestSnapshot(in directory: String) throws -> UInt64 {
        let folder = directory + "/snapshots"
        return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".snap") }
            .map { UInt64(try FileManager.default.attributesOfItem(atPath: folder + "/" + $0)[.size] as? Int ?? 0) }
            .max() ?? 0
    }

    @Test("with a ratio of 1 a checkpoint waits for a snapshot's worth of log, so they space out as the graph grows")
    func spacedOut() throws {
        let directory = TemporaryDirectory()
        let data = directory.child("data")
        let (database, _) = try GraphDatabase.open(Self.configuration(data, ratio: 1))
        var checkpoints = 0
        for number in 0..<200 {
            let before = database.sinceCheckpoint.withLock { $0 }
            let ran = try Self.writeNode(database, number)
            let after = database.sinceCheckpoint.withLock { $0 }
            if ran {
                checkpoints += 1
                // It ran once the log since the last one reached that one's size...
                #expect(after.logBytes == 0)
                #expect(before.logBytes < before.snapshotBytes || before.snapshotBytes == 0)
                // ...and paces the next by the snapshot it just wrote.
                #expect(after.snapshotBytes == (try Self.largestSnapshot(in: data)))
                #expect(after.snapshotBytes > before.snapshotBytes)
            } else {
                #expect(after.logBytes < after.snapshotBytes, "no checkpoint although the log caught up with the snapshot")
            }
        }
        // The graph doubles between checkpoints: about log2(200), not 200.
        #expect((5...10).contains(checkpoints), "\(checkpoints) checkpoints")
        try database.close()
    }

    @Test("without a ratio every crossing of the byte threshold checkpoints, as before")
    func fixedThreshold() throws {
        let directory = TemporaryDirectory()
        let (database, _) = try GraphDatabase.open(Self.configuration(directory.child("data"), ratio: nil))
        for number in 0..<20 {
            #expect(try Self.writeNode(database, number))
        }
        try database.close()
        let (zero, _) = try GraphDatabase.open(Self.configuration(directory.child("data"), ratio: 0))
        #expect(try Self.writeNode(zero, 20))
        try zero.close()
    }

    @Test("a restart paces by the snapshot recovery loaded, and a snapshot load by the base it wrote")
    func restartAndLoad() throws {
        let directory = TemporaryDirectory()
        let data = directory.child("data")
        let configuration = Self.configuration(data, ratio: 1)
        do {
            let (database, _) = try GraphDatabase.open(configuration)
            for number in 0..<40 { _ = try Self.writeNode(database, number) }
            try database.checkpoint()
            try database.close()
        }
        let (database, report) = try GraphDatabase.open(configuration)
        let loaded = try #require(report.snapshotPath)
        let loadedBytes = UInt64(try FileManager.default.attributesOfItem(atPath: loaded)[.size] as? Int ?? 0)
        #expect(loadedBytes > 40_000)
        #expect(database.sinceCheckpoint.withLock { $0.snapshotBytes } == loadedBytes)
        // A kilobyte of log is far from forty: no checkpoint right after the restart.
        #expect(try !Self.writeNode(database, 40))

        let saved = directory.child("saved.snap")
        try database.checkpoint(to: saved)
        _ = try database.loadSnapshot(from: saved)
        #expect(database.sinceCheckpoint.withLock { $0.snapshotBytes } == (try Self.largestSnapshot(in: data)))
        #expect(try !Self.writeNode(database, 41))
        try database.close()
    }

    #if canImport(Glibc)
    @Test("managed checkpoints run below the committing threads' priority")
    func backgroundPriority() throws {
        let directory = TemporaryDirectory()
        let (database, _) = try GraphDatabase.open(Self.configuration(directory.child("data"), ratio: 1))
        let done = DispatchSemaphore(value: 0)
        let niceness = Mutex<Int32>(0)
        database.checkpointQueue.async {
            niceness.withLock { $0 = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }
            done.signal()
        }
        done.wait()
        #expect(niceness.withLock { $0 } > getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
        try database.close()
    }
    #endif

    @Test("a negative, infinite or NaN ratio is refused when the database opens")
    func invalidRatio() {
        let directory = TemporaryDirectory()
        for ratio in [-1, .infinity, .nan] as [Double] {
            #expect {
                _ = try GraphDatabase.open(Self.configuration(directory.child("data"), ratio: ratio))
            } throws: { error in
                (error as? GraphDatabaseError)?.code == .invalidConfiguration
            }
        }
    }

    @Test("the scaled threshold saturates instead of overflowing")
    func saturates() {
        #expect(CheckpointProgress.scaledThreshold(.max, ratio: 2) == .max)
        #expect(CheckpointProgress.scaledThreshold(1 << 40, ratio: 1e300) == .max)
        #expect(CheckpointProgress.scaledThreshold(1000, ratio: 0.5) == 500)
        #expect(CheckpointProgress.scaledThreshold(1000, ratio: nil) == 0)
        #expect(CheckpointProgress.scaledThreshold(1000, ratio: 0) == 0)
    }
}
