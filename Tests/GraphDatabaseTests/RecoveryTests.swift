import Foundation
import GraphStore
import Testing
import WriteAheadLog
import WALTestSupport

@testable import GraphDatabase

@Suite("GraphDatabase recovery")
struct RecoveryTests {
    @Test("in memory only: the graph works and nothing touches the disk")
    func inMemory() throws {
        let (database, report) = try GraphDatabase.open()
        #expect(report.wal == nil && report.snapshotPath == nil)
        try runWorkload(database, rounds: 5)
        #expect(database.snapshot.nodeCount == 5 * 2 - 1)
        #expect(try database.walStatus() == nil)
        try database.close()
    }

    @Test("WAL only: the recovered graph equals the committed graph, ids included")
    func walOnly() throws {
        let directory = TemporaryDirectory()
        let configuration = GraphDatabaseConfiguration(storage: .explicit(walDirectory: directory.child("wal"), snapshotPath: nil, restoreFrom: nil), wal: WALOptions(syncMode: .none))
        var before = ""
        do {
            let (database, _) = try GraphDatabase.open(configuration)
            try runWorkload(database, rounds: 20)
            before = database.snapshot.dump()
            try database.close()
        }
        let (database, report) = try GraphDatabase.open(configuration)
        #expect(database.snapshot.dump() == before)
        #expect(report.transactionsReplayed == 20)
        // New ids continue where the old ones stopped.
        let next = try database.write { tx in try tx.createNode() }
        #expect(next.value == NodeID(40))
        try database.close()
    }

    @Test("a log of many read-ahead batches recovers the same graph whether replay reads ahead or not")
    func readAheadRecovers() throws {
        let directory = TemporaryDirectory()
        let configuration = GraphDatabaseConfiguration.dataDirectory(directory.path)
        let database = try GraphDatabase.open(configuration).database
        try runWorkload(database, rounds: 3_000)
        // One transaction larger than a read-ahead batch on its own.
        try database.write { tx in
            try tx.createNode(labels: ["Blob"], properties: ["bytes": .bytes([UInt8](repeating: 7, count: 1_536 << 10))])
        }
        try runWorkload(database, rounds: 3_000, seed: 1)
        let dump = database.snapshot.dump()
        try database.close()
        for readsAhead in [true, false, true] {
            var reopening = configuration
            reopening.wal.replayReadsAhead = readsAhead
            let (reopened, report) = try GraphDatabase.open(reopening)
            #expect(reopened.snapshot.dump() == dump)
            #expect(report.transactionsReplayed == 6_001)
            #expect((report.wal?.bytesScanned ?? 0) > 4 << 20)
            try reopened.close()
        }
    }

    @Test("snapshot only: a saved snapshot is restored without a log")
    func snapshotOnly() throws {
        let directory = TemporaryDirectory()
        let path = directory.child("graph.snap")
        let configuration = GraphDatabaseConfiguration(storage: .explicit(walDirectory: nil, snapshotPath: path, restoreFrom: nil))
        var before = ""
        do {
            let (database, _) = try GraphDatabase.open(configuration)
            try runWorkload(database, rounds: 7)
            before = database.snapshot.dump()
            let saved = try database.saveSnapshot()
            #expect(saved.path == path && saved.walLSN == .none)
            try database.close()
        }
        let (database, report) = try GraphDatabase.open(configuration)
        #expect(report.snapshotPath == path)
        #expect(database.snapshot.dump() == before)
        try database.close()
    }

    @Test("snapshot + WAL: a checkpoint mid-workload, then a crash, recovers exactly")
    func snapshotAndWAL() throws {
        let directory = TemporaryDirectory()
        let root = directory.child("data")
        let (database, _) = try GraphDatabase.open(.dataDirectory(root))
        try runWorkload(database, rounds: 10, seed: 1)
        let checkpoint = try database.checkpoint()
        #expect(checkpoint.walLSN > .none)
        try runWorkload(database, rounds: 10, seed: 2)
        let committed = database.snapshot.dump()
        // Crash: copy the files while the database is still open.
        try crashImage(of: root, to: directory.child("crashed"))
        try database.close()

        let (recovered, report) = try GraphDatabase.open(.dataDirectory(directory.child("crashed")))
        #expect(recovered.snapshot.dump() == committed)
        #expect(report.snapshotLSN == checkpoint.walLSN)
        #expect(report.transactionsReplayed == 10)
        #expect(report.newerCheckpointInLog == nil)
        try recovered.close()
    }

    @Test("a corrupt newest snapshot falls back to the previous one, with nothing lost")
    func corruptNewestSnapshot() throws {
        let directory = TemporaryDirectory()
        let root = directory.child("data")
        var committed = ""
        var newest = ""
        do {
            let (database, _) = try GraphDatabase.open(.dataDirectory(root))
            try runWorkload(database, rounds: 5, seed: 1)
            try database.checkpoint()
            try runWorkload(database, rounds: 5, seed: 2)
            newest = try database.checkpoint().path
            try runWorkload(database, rounds: 5, seed: 3)
            committed = database.snapshot.dump()
            try database.close()
        }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: newest))
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: URL(fileURLWithPath: newest))
        let (database, report) = try GraphDatabase.open(.dataDirectory(root))
        #expect(report.skippedSnapshots.map(\.path) == [newest])
        #expect(report.newerCheckpointInLog != nil)
        #expect(database.snapshot.dump() == committed)
        try database.close()
    }

    @Test("checkpoints keep the newest snapshots and truncate the log only as far as the oldest kept one")
    func retentionAndTruncation() throws {
        let directory = TemporaryDirectory()
        let root = directory.child("data")
        let configuration = GraphDatabaseConfiguration.dataDirectory(root, keepSnapshots: 2, segmentTargetBytes: 4096)
        let (database, _) = try GraphDatabase.open(configuration)
        var results: [CheckpointResult] = []
        for seed in 0..<4 {
            try runWorkload(database, rounds: 30, seed: seed)
            results.append(try database.checkpoint())
        }
        let kept = try FileManager.default.contentsOfDirectory(atPath: root + "/snapshots").filter { $0.hasSuffix(".snap") }.sorted()
        #expect(kept.count == 2)
        // The log still reaches back to the older kept snapshot.
        let status = try #require(try database.walStatus())
        let oldestBase = try WAL<MutationEvent>.replay(directory: root + "/wal") { _ in }.segments.first?.baseLSN
        #expect(try #require(oldestBase) <= LSN(results[2].walLSN.rawValue + 1))
        #expect(status.oldestSegment.rawValue > 1)
        try database.close()
    }

    @Test("crash, recover skipping the segments the snapshot covers, write and checkpoint, crash again: every recovery gives the committed graph")
    func crashesAcrossSkippedSegments() throws {
        let directory = TemporaryDirectory()
        var root = directory.child("run-0")
        var skipped = 0
        for round in 1...3 {
            let configuration = GraphDatabaseConfiguration.dataDirectory(root, keepSnapshots: 2, segmentTargetBytes: 4096)
            let (database, recovery) = try GraphDatabase.open(configuration)
            skipped += recovery.wal?.segmentsSkippedBelowFence ?? 0
            try runWorkload(database, rounds: 40, seed: round)
            _ = try database.checkpoint()
            try runWorkload(database, rounds: 40, seed: round + 10)
            _ = try database.checkpoint()
            try runWorkload(database, rounds: 10, seed: round + 20)
            let committed = database.snapshot.dump()
            // The process dies here: the next round recovers from its image.
            let image = directory.child("run-\(round)")
            try crashImage(of: root, to: image)
            try database.close()
            let (recovered, report) = try GraphDatabase.open(
                GraphDatabaseConfiguration.dataDirectory(image, keepSnapshots: 2, segmentTargetBytes: 4096))
            #expect(recovered.snapshot.dump() == committed, "round \(round)")
            #expect(report.snapshotPath != nil)
            try recovered.close()
            root = image
        }
        #expect(skipped > 0, "some recoveries skipped segments the snapshot covered")
    }

    @Test("crash, recover reading the log from the snapshot's position, write and checkpoint, crash again: every recovery gives the committed graph")
    func crashesAcrossFencePositions() throws {
        let directory = TemporaryDirectory()
        var root = directory.child("run-0")
        var used = 0
        // Segments of 1 MiB: the fence lies inside the active segment.
        let configuration = { (path: String) in GraphDatabaseConfiguration.dataDirectory(path, keepSnapshots: 2, segmentTargetBytes: 1 << 20) }
        for round in 1...4 {
            let (database, recovery) = try GraphDatabase.open(configuration(root))
            if case .used(let skipped) = recovery.wal?.fencePosition {
                used += 1
                #expect(skipped > 0)
            }
            try runWorkload(database, rounds: 40, seed: round)
            let checkpoint = try database.checkpoint()
            try runWorkload(database, rounds: 40, seed: round + 10)
            if round % 2 == 0 {
                // A second checkpoint with nothing written after it: the
                // recovery finds no record after the position.
                _ = try database.checkpoint()
            } else {
                try runWorkload(database, rounds: 10, seed: round + 20)
            }
            let committed = database.snapshot.dump()
            let image = directory.child("run-\(round)")
            try crashImage(of: root, to: image)
            try database.close()
            let (recovered, report) = try GraphDatabase.open(configuration(image))
            #expect(recovered.snapshot.dump() == committed, "round \(round)")
            guard case .used = report.wal?.fencePosition else {
                Issue.record("round \(round): \(String(describing: report.wal?.fencePosition))")
                try recovered.close()
                return
            }
            try recovered.close()
            // The newest snapshot damaged: the one before it, with its own
            // position, gives the same graph.
            if round == 3 {
                let older = directory.child("older-\(round)")
                try crashImage(of: image, to: older)
                let newest = try #require(try FileManager.default.contentsOfDirectory(atPath: older + "/snapshots").sorted().last)
                #expect(newest == URL(fileURLWithPath: checkpoint.path).lastPathComponent)
                try Data("not a snapshot".utf8).write(to: URL(fileURLWithPath: older + "/snapshots/" + newest))
                let (fallback, fallbackReport) = try GraphDatabase.open(configuration(older))
                #expect(fallback.snapshot.dump() == committed)
                #expect(fallbackReport.skippedSnapshots.count == 1)
                #expect(fallbackReport.snapshotLSN < checkpoint.walLSN)
                guard case .used = fallbackReport.wal?.fencePosition else {
                    Issue.record("fallback: \(String(describing: fallbackReport.wal?.fencePosition))")
                    try fallback.close()
                    return
                }
                try fallback.close()
            }
            root = image
        }
        #expect(used == 3, "every recovery after the first started from a snapshot's position")
    }

    @Test("a log truncated past every snapshot left is refused, naming the missing LSNs, not replayed with a gap")
    func logTruncatedPastSnapshot() throws {
        let directory = TemporaryDirectory()
        let root = directory.child("data")
        let configuration = GraphDatabaseConfiguration.dataDirectory(root, keepSnapshots: 1, segmentTargetBytes: 4096)
        do {
            let (database, _) = try GraphDatabase.open(configuration)
            try runWorkload(database, rounds: 60, seed: 1)
            let checkpoint = try database.checkpoint()
            #expect(!checkpoint.truncatedSegments.isEmpty)
            try runWorkload(database, rounds: 5, seed: 2)
            try database.close()
        }
        // The snapshot the log was truncated for goes missing.
        try FileManager.default.removeItem(atPath: root + "/snapshots")
        let error = #expect(throws: GraphDatabaseError.self) { try GraphDatabase.open(configuration) }
        #expect(error?.code == .recovery)
        #expect(error?.description.contains("no snapshot was found") == true)
        #expect(error?.description.contains("transactions at LSNs 1...") == true, "\(String(describing: error))")
    }

    @Test("truncating the log never goes past what the snapshots cover, and a restart recovers everything", arguments: [false, true])
    func truncationStopsAtSnapshots(explicitLayout: Bool) throws {
        let directory = TemporaryDirectory()
        let root = directory.child("data")
        let configuration = GraphDatabaseConfiguration.layout(root, explicit: explicitLayout, segmentTargetBytes: 4096)
        let (database, _) = try GraphDatabase.open(configuration)
        try runWorkload(database, rounds: 60, seed: 1)
        _ = try database.sync()
        // No snapshot yet: nothing may go.
        let before = try database.truncateLog()
        #expect(try before.requestedFence == database.walStatus()?.durableLSN)
        #expect(before.appliedFence == .none && before.deletedSegments.isEmpty)

        let checkpoint = try database.checkpoint()
        try runWorkload(database, rounds: 60, seed: 2)
        _ = try database.sync()
        let after = try database.truncateLog()
        #expect(after.requestedFence > checkpoint.walLSN)
        #expect(after.appliedFence == checkpoint.walLSN)
        let committed = database.snapshot.dump()
        try database.close()

        let (reopened, _) = try GraphDatabase.open(configuration)
        #expect(reopened.snapshot.dump() == committed)
        try reopened.close()
    }

    @Test("managed checkpoints run by themselves after N commits")
    func managedCheckpoints() throws {
        let directory = TemporaryDirectory()
        var configuration = GraphDatabaseConfiguration.dataDirectory(directory.child("data"))
        configuration.checkpointEveryCommits = 5
        let (database, _) = try GraphDatabase.open(configuration)
        try runWorkload(database, rounds: 12)
        for _ in 0..<500 {
            let count = (try? FileManager.default.contentsOfDirectory(atPath: directory.child("data/snapshots")).filter { $0.hasSuffix(".snap") }.count) ?? 0
            if count > 0 { break }
            usleep(10_000)
        }
        try database.close()
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: directory.child("data/snapshots")).filter { $0.hasSuffix(".snap") }
        #expect(!snapshots.isEmpty)
    }
}
