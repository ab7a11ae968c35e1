import Foundation
import Testing
import WALArchive
import WALTestSupport
import WriteAheadLog

@Suite("What the archiver never ships")
struct TailSafetyTests {
    @Test("an open transaction of a live log is not shipped until it commits")
    func openTransactionWaits() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let log = try RecordingLog(directory: temporary.child("log"), segmentTargetBytes: 1 << 20)
        try log.commit(2)
        let committed = try #require(log.commits.last?.lsn)
        let transaction = try log.wal.begin()
        _ = try log.wal.append([9, 9, 9], to: transaction)
        try log.wal.flush()
        let archiver = Archiver(directory: temporary.child("log"), store: store)
        #expect(try await archiver.archiveOnce().archivedLSN == committed.rawValue)

        let end = try log.wal.commit(transaction: transaction)
        try log.wal.flush()
        #expect(try await archiver.archiveOnce().archivedLSN == end.rawValue)
        try log.wal.close()
        let restored = try await ArchiveRestore.restore(from: store, into: temporary.child("restored"))
        #expect(restored.restoredLSN == end)
        #expect(try replayedEvents(temporary.child("restored")) == log.events(upTo: committed) + [[9, 9, 9]])
    }

    @Test("a torn tail is not shipped: the archive ends at the last whole transaction")
    func tornTailIsNotShipped() async throws {
        let temporary = TemporaryDirectory()
        let logPath = temporary.child("log")
        let log = try RecordingLog(directory: logPath, segmentTargetBytes: 1 << 20)
        try log.commit(3)
        try log.wal.close()
        let committed = try #require(log.commits.last?.lsn)
        // Half of a begin record for the next LSN, where the next record would go.
        let report = try WALInspector.scan(directory: logPath) { _ in }
        let segment = try #require(report.segments.last)
        var torn: [UInt8] = [25, 0, 0, 0, 2]
        withUnsafeBytes(of: (committed.rawValue + 1).littleEndian) { torn += $0 }
        let handle = try #require(FileHandle(forWritingAtPath: segment.path))
        try handle.seek(toOffset: segment.validBytes)
        try handle.write(contentsOf: torn)
        try handle.close()

        let store = FileArchiveStore(directory: temporary.child("archive"))
        let round = try await Archiver(directory: logPath, store: store).archiveOnce()
        #expect(round.archivedLSN == committed.rawValue)
        let verified = try await ArchiveRestore.verify(store: store)
        #expect(verified.lastLSN == committed)
    }

    @Test("an aborted transaction and a checkpoint marker are shipped and replay as the log does")
    func abortAndCheckpointShip() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let log = try RecordingLog(directory: temporary.child("log"), segmentTargetBytes: 1 << 20)
        try log.commit(2)
        let aborted = try log.wal.begin()
        _ = try log.wal.append([7], to: aborted)
        _ = try log.wal.abort(aborted)
        _ = try log.wal.recordCheckpoint(snapshotLSN: try #require(log.commits.last?.lsn))
        try log.commit(1)
        try log.wal.close()
        _ = try await Archiver(directory: temporary.child("log"), store: store).archiveOnce()
        _ = try await ArchiveRestore.restore(from: store, into: temporary.child("restored"))
        #expect(try replayedEvents(temporary.child("restored")) == log.events(upTo: LSN(UInt64.max)))
    }

    @Test("pieces an interrupted round stored without acknowledging them are removed by the next round")
    func leftoversAreRemoved() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let log = try RecordingLog(directory: temporary.child("log"))
        try log.commit(2)
        _ = try await Archiver(directory: temporary.child("log"), store: store).archiveOnce()
        let layout = ArchiveLayout(prefix: "")
        let stray = layout.pieceKey(first: LSN(1000), last: LSN(1002))
        _ = try await store.put(stray, [1, 2, 3], condition: .ifAbsent)
        await #expect(throws: ArchiveError.self) { try await ArchiveRestore.verify(store: store) }
        try log.commit(2)
        let round = try await Archiver(directory: temporary.child("log"), store: store).archiveOnce()
        #expect(round.removedLeftovers == [stray])
        _ = try await ArchiveRestore.verify(store: store)
        try log.wal.close()
    }
}
