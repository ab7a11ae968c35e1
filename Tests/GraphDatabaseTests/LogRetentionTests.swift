import Foundation
import GraphStore
import Synchronization
import Testing
import WALTestSupport
import WriteAheadLog

@testable import GraphDatabase

/// `logRetention` caps every truncation of the log, so that whatever copies
/// the log elsewhere (an archiver) never loses a segment it has not copied.
@Suite("Log retention")
struct LogRetentionTests {
    /// A retention whose LSN the test moves.
    final class Fence: Sendable {
        let lsn = Atomic<UInt64>(0)
        func set(_ value: LSN) { lsn.store(value.rawValue, ordering: .releasing) }
        var provider: @Sendable () -> LSN { { LSN(self.lsn.load(ordering: .acquiring)) } }
    }

    /// The segments on disk, as a read-only walk of the log sees them.
    static func segments(_ root: String, explicit: Bool) throws -> [SegmentSummary] {
        try WAL<MutationEvent>.replay(directory: root + "/wal") { _ in }.segments
    }

    @Test("checkpoints and truncateLog keep the segments above a low retention; raising it lets the next truncation delete them", arguments: [false, true])
    func retentionCapsTruncation(explicitLayout: Bool) throws {
        let directory = TemporaryDirectory()
        let root = directory.child("data")
        let fence = Fence()
        var configuration = GraphDatabaseConfiguration.layout(root, explicit: explicitLayout, segmentTargetBytes: 4096)
        configuration.keepSnapshots = 1
        configuration.logRetention = fence.provider
        let (database, _) = try GraphDatabase.open(configuration)
        try runWorkload(database, rounds: 60, seed: 1)
        let segmentsBefore = try Self.segments(root, explicit: explicitLayout)
        #expect(segmentsBefore.count >= 3, "the workload spans several segments")

        // Nothing archived yet: a checkpoint truncates nothing and says why.
        let checkpoint = try database.checkpoint()
        let truncation = try #require(checkpoint.truncation)
        #expect(truncation.appliedFence == .none)
        #expect(truncation.limitedBy == .logRetention)
        #expect(truncation.retentionLSN == LSN.none)
        #expect(checkpoint.truncatedSegments.isEmpty)
        #expect(try Self.segments(root, explicit: explicitLayout).first?.id == segmentsBefore.first?.id)

        // Part of the log archived: truncation stops there, and every record above it stays on disk.
        let middle = LSN(checkpoint.walLSN.rawValue / 2)
        fence.set(middle)
        let partial = try database.truncateLog()
        #expect(partial.appliedFence == middle)
        #expect(partial.limitedBy == .logRetention)
        #expect(!partial.deletedSegments.isEmpty)
        let kept = try Self.segments(root, explicit: explicitLayout)
        #expect(try #require(kept.first).firstLSN <= LSN(middle.rawValue + 1), "a record above the retention was deleted")

        // Everything archived: the snapshots are the limit again.
        fence.set(LSN(UInt64.max))
        try runWorkload(database, rounds: 5, seed: 2)
        _ = try database.sync()
        let full = try database.truncateLog()
        #expect(full.appliedFence == checkpoint.walLSN)
        #expect(full.limitedBy == .snapshots)
        #expect(full.retentionLSN == LSN(UInt64.max))
        #expect(!full.deletedSegments.isEmpty)
        #expect(try #require(Self.segments(root, explicit: explicitLayout).first).baseLSN > middle)
        try expectRestartRecovers(database.snapshot.dump(), closing: database, configuration)
    }

    @Test("managed checkpoints and a snapshot load keep what the retention has not released")
    func managedCheckpointsAndLoad() throws {
        let directory = TemporaryDirectory()
        let root = directory.child("data")
        let fence = Fence()
        var configuration = GraphDatabaseConfiguration.dataDirectory(root, keepSnapshots: 1, segmentTargetBytes: 4096)
        configuration.checkpointEveryCommits = 10
        configuration.logRetention = fence.provider
        let (database, _) = try GraphDatabase.open(configuration)
        let first = try #require(try Self.segments(root, explicit: false).first)
        try runWorkload(database, rounds: 60, seed: 1)
        // Waits for the behaviour (a managed checkpoint), bounded so a broken one fails.
        for _ in 0..<500 where try database.snapshotFiles().isEmpty { Thread.sleep(forTimeInterval: 0.01) }
        #expect(try !database.snapshotFiles().isEmpty, "a managed checkpoint ran")

        let newest = try #require(try database.snapshotFiles().last)
        try database.loadSnapshot(from: newest.path)
        try runWorkload(database, rounds: 20, seed: 2)
        let committed = database.snapshot.dump()
        try database.close()
        // Close waits for a scheduled checkpoint: every truncation is done.
        #expect(try Self.segments(root, explicit: false).first?.id == first.id, "a segment was deleted before the retention released it")
        let (reopened, _) = try GraphDatabase.open(configuration)
        #expect(reopened.snapshot.dump() == committed)
        try reopened.close()
    }
}
