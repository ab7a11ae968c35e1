import Synchronization
import Testing
import WALArchive
import WALTestSupport
import WriteAheadLog

@Suite("Archiver rounds")
struct ArchiverLoopTests {
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
        _ = try await Archiver(directory: temporary.child("log"), store: store).archiveOnce()

        let other = try RecordingLog(directory: temporary.child("other"))
        try other.commit(1)
        try other.wal.close()
        let error = await #expect(throws: ArchiveError.self) {
            try await Archiver(directory: temporary.child("other"), store: store).archiveOnce()
        }
        #expect(error?.code == .diverged)
        #expect(try await ArchiveRestore.verify(store: store).lastLSN == original.commits.last?.lsn)
    }
}
