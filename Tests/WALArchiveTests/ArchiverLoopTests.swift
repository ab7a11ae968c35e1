import Synchronization
import Testing
import WALArchive
import WALTestSupport
import WriteAheadLog

@Suite("Archiver rounds")
struct ArchiverLoopTests {
    /// One primary whose log directory was replaced: the same lease holder,
    /// so what refuses is the divergence check, not the lease.
    static let samePrimary = ArchiverOptions(holder: "primary")

    @Test("the loop ships a commit without an explicit round, and stops when cancelled")
    func loopShips() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let log = try RecordingLog(directory: temporary.child("log"))
        try log.commit(3)
        let target = try #require(log.commits.last?.lsn)
        let archiver = Archiver(
            directory: temporary.child("log"), store: store, options: ArchiverOptions(archiveInterval: .milliseconds(5)))
        let errors = Mutex<[String]>([])
        let loop = Task { await archiver.run { error in errors.withLock { $0.append("\(error)") } } }
        // Waits for the behaviour (the archive reaching the commit), with a
        // bound only so that a broken loop fails instead of hanging.
        var archived = LSN.none
        for _ in 0..<2000 where archived < target {
            archived = (try? await ArchiveRestore.verify(store: store).lastLSN) ?? .none
            if archived < target { try await Task.sleep(for: .milliseconds(10)) }
        }
        loop.cancel()
        await loop.value
        #expect(archived == target)
        #expect(errors.withLock { $0 }.isEmpty)
        try log.wal.close()
    }

    @Test("a log that ends before the archive does is refused as diverged, and nothing is shipped from it")
    func divergedLogIsRefused() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let original = try RecordingLog(directory: temporary.child("log"))
        try original.commit(4)
        try original.wal.close()
        _ = try await Archiver(directory: temporary.child("log"), store: store, options: Self.samePrimary).archiveOnce()

        let other = try RecordingLog(directory: temporary.child("other"))
        try other.commit(1)
        try other.wal.close()
        let error = await #expect(throws: ArchiveError.self) {
            try await Archiver(directory: temporary.child("other"), store: store, options: Self.samePrimary).archiveOnce()
        }
        #expect(error?.code == .diverged)
        #expect(try await ArchiveRestore.verify(store: store).lastLSN == original.commits.last?.lsn)
    }

    @Test("a different log as long as the archive is refused as diverged when its record at the archived LSN differs")
    func differentLogIsRefused() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let original = try RecordingLog(directory: temporary.child("log"))
        try original.commit(2)
        try original.wal.close()
        _ = try await Archiver(directory: temporary.child("log"), store: store, options: Self.samePrimary).archiveOnce()

        let other = try RecordingLog(directory: temporary.child("other"))
        _ = try await other.wal.commit([[42]] as [[UInt8]])
        try other.commit(4)
        try other.wal.close()
        let error = await #expect(throws: ArchiveError.self) {
            try await Archiver(directory: temporary.child("other"), store: store, options: Self.samePrimary).archiveOnce()
        }
        #expect(error?.code == .diverged)

        // The original log, grown, continues its archive.
        let grown = try RecordingLog(directory: temporary.child("log"))
        try grown.commit(1)
        try grown.wal.close()
        let round = try await Archiver(directory: temporary.child("log"), store: store, options: Self.samePrimary).archiveOnce()
        #expect(round.shipped.count == 1)
    }

    @Test("a log whose archived segments were truncated goes on archiving after a restart")
    func truncatedAfterArchiving() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let log = try RecordingLog(directory: temporary.child("log"), segmentTargetBytes: 512)
        try log.commit(12)
        let round = try await Archiver(directory: temporary.child("log"), store: store).archiveOnce()
        let removed = try log.wal.truncate(upTo: LSN(round.archivedLSN))
        #expect(!removed.isEmpty)
        try log.commit(2)
        let next = try await Archiver(directory: temporary.child("log"), store: store).archiveOnce()
        #expect(next.archivedLSN == log.commits.last?.lsn.rawValue)
        try log.wal.close()
        _ = try await ArchiveRestore.restore(from: store, into: temporary.child("restored"))
        #expect(try replayedEvents(temporary.child("restored")) == log.events(upTo: LSN(UInt64.max)))
    }
}
