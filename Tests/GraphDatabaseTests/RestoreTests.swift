import Foundation
import GraphStore
import Testing
import WriteAheadLog
import WALTestSupport

@testable import GraphDatabase

@Suite("GraphDatabase restore paths")
struct RestoreTests {
    static func snapshotFiles(_ root: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root + "/snapshots").sorted()
    }

    @Test("a snapshot named above its header's LSN is ordered by its header: it neither becomes newest nor makes pruning delete the real ones")
    func misnamedSnapshot() throws {
        let directory = TemporaryDirectory()
        let root = directory.child("data")
        let configuration = GraphDatabaseConfiguration.dataDirectory(root, keepSnapshots: 2)
        var first: CheckpointResult
        var second: CheckpointResult
        var committed = ""
        do {
            let (database, _) = try GraphDatabase.open(configuration)
            try runWorkload(database, rounds: 5, seed: 1)
            first = try database.checkpoint()
            try runWorkload(database, rounds: 5, seed: 2)
            second = try database.checkpoint()
            try runWorkload(database, rounds: 2, seed: 3)
            committed = database.snapshot.dump()
            try database.close()
        }
        // An operator copies the old snapshot in under a name far above it.
        let bogus = root + "/snapshots/snapshot-00000000000099999999.snap"
        try FileManager.default.copyItem(atPath: first.path, toPath: bogus)

        let (database, report) = try GraphDatabase.open(configuration)
        #expect(report.snapshotPath == second.path, "the newest snapshot by header is used")
        #expect(report.snapshotLSN == second.walLSN)
        #expect(report.misnamedSnapshots == [MisnamedSnapshot(path: bogus, nameLSN: LSN(99_999_999), headerLSN: first.walLSN)])
        #expect(database.snapshot.dump() == committed)

        try runWorkload(database, rounds: 2, seed: 4)
        let third = try database.checkpoint()
        // Kept: the two newest by header. The misnamed one is the oldest.
        #expect(try Self.snapshotFiles(root) == [second.path, third.path].map { ($0 as NSString).lastPathComponent })
        try expectRestartRecovers(database.snapshot.dump(), closing: database, configuration)
    }

    @Test("a misnamed snapshot does not lift the log truncation fence above what the kept snapshots cover")
    func misnamedSnapshotFence() throws {
        let directory = TemporaryDirectory()
        let root = directory.child("data")
        let configuration = GraphDatabaseConfiguration.dataDirectory(root, keepSnapshots: 2, segmentTargetBytes: 4096)
        let (database, _) = try GraphDatabase.open(configuration)
        try runWorkload(database, rounds: 30, seed: 1)
        let first = try database.checkpoint()
        // Renamed by hand to sort first by name while holding a later LSN
        // than it claims: the oldest name, but not the oldest snapshot.
        try runWorkload(database, rounds: 30, seed: 2)
        let second = try database.checkpoint()
        try FileManager.default.moveItem(
            atPath: second.path, toPath: root + "/snapshots/snapshot-00000000000000000000.snap")
        try runWorkload(database, rounds: 30, seed: 3)
        _ = try database.sync()
        let truncation = try database.truncateLog()
        #expect(truncation.appliedFence == first.walLSN, "the oldest kept snapshot by header is the first one")
        let report = try expectRestartRecovers(database.snapshot.dump(), closing: database, configuration)
        #expect(report.snapshotLSN == second.walLSN)
    }

    @Test("stale temporary snapshot files left by a crash mid-write are removed on open, and nothing else", arguments: [false, true])
    func staleTemporaryFiles(explicitLayout: Bool) throws {
        let directory = TemporaryDirectory()
        let root = directory.child("data")
        let configuration = GraphDatabaseConfiguration.layout(root, explicit: explicitLayout)
        do {
            let (database, _) = try GraphDatabase.open(configuration)
            try runWorkload(database, rounds: 3)
            try database.checkpoint()
            try database.close()
        }
        let stale =
            explicitLayout
            ? [root + "/graph.snap.tmp"] : [root + "/snapshots/snapshot-00000000000000000042.snap.tmp"]
        let foreign = explicitLayout ? root + "/notes.tmp" : root + "/snapshots/notes.tmp"
        for path in stale + [foreign] {
            #expect(FileManager.default.createFile(atPath: path, contents: Data("half a snapshot".utf8)))
        }
        let (database, report) = try GraphDatabase.open(configuration)
        #expect(report.removedTemporaryFiles == stale)
        for path in stale { #expect(!FileManager.default.fileExists(atPath: path)) }
        #expect(FileManager.default.fileExists(atPath: foreign), "a file the database did not write is left alone")
        #expect(database.snapshot.nodeCount == 5)
        try database.close()
    }

    @Test("loading without a path refuses to discard the commits since the newest snapshot, and changes nothing")
    func loadWithoutPathRefusesToDiscard() throws {
        let directory = TemporaryDirectory()
        let root = directory.child("data")
        let configuration = GraphDatabaseConfiguration.dataDirectory(root)
        let (database, _) = try GraphDatabase.open(configuration)
        try runWorkload(database, rounds: 3, seed: 1)
        let checkpoint = try database.checkpoint()
        let export = directory.child("export.snap")
        try FileManager.default.copyItem(atPath: checkpoint.path, toPath: export)
        try runWorkload(database, rounds: 3, seed: 2)
        let committed = database.snapshot.dump()
        let filesBefore = try Self.snapshotFiles(root)

        let error = #expect(throws: GraphDatabaseError.self) { try database.loadSnapshot() }
        #expect(error?.code == .wouldDiscardCommits)
        #expect(error?.description.contains(checkpoint.path) == true, "names the snapshot: \(String(describing: error))")
        #expect(error?.message.contains("after LSN \(checkpoint.walLSN)") == true, "says what would be lost: \(String(describing: error))")
        #expect(database.snapshot.dump() == committed)
        #expect(try Self.snapshotFiles(root) == filesBefore)

        // With nothing committed since, the newest snapshot loads (it holds
        // the current graph), and an explicit path always does.
        try database.checkpoint()
        let unchanged = try database.loadSnapshot()
        #expect(unchanged.nodeCount == database.snapshot.nodeCount)
        #expect(database.snapshot.dump() == committed)
        try database.loadSnapshot(from: export)
        let loaded = database.snapshot.dump()
        #expect(loaded != committed)
        try expectRestartRecovers(loaded, closing: database, configuration)
    }
}

@Suite("GraphDatabase explicit layout with a restore source")
struct RestoreSourceTests {
    @Test("with a restore source, a checkpoint truncates the log only up to that source, which every restart starts from, and a load is refused")
    func checkpointKeepsLogForRestoreSource() throws {
        let directory = TemporaryDirectory()
        let root = directory.child("data")
        let source = directory.child("restore.snap")
        var configuration = GraphDatabaseConfiguration.layout(root, explicit: true, segmentTargetBytes: 4096)
        do {
            let (database, _) = try GraphDatabase.open(configuration)
            try runWorkload(database, rounds: 5, seed: 1)
            try database.saveSnapshot(to: source)
            try database.close()
        }
        configuration.storage = .explicit(walDirectory: root + "/wal", snapshotPath: root + "/graph.snap", restoreFrom: source)
        let (database, report) = try GraphDatabase.open(configuration)
        #expect(report.snapshotPath == source)
        try runWorkload(database, rounds: 60, seed: 2)
        let checkpoint = try database.checkpoint()
        #expect(checkpoint.path == root + "/graph.snap")
        try runWorkload(database, rounds: 5, seed: 3)
        // A load would not survive a restart that begins at the source again.
        let committed = database.snapshot.dump()
        let refused = #expect(throws: GraphDatabaseError.self) { try database.loadSnapshot(from: checkpoint.path) }
        #expect(refused?.code == .unavailable)
        #expect(refused?.message.contains("restore source") == true)
        #expect(database.snapshot.dump() == committed)
        let restarted = try expectRestartRecovers(committed, closing: database, configuration)
        #expect(restarted.snapshotPath == source, "every start begins at the restore source")
    }
}
