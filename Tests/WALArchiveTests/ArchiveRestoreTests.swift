import Foundation
import Testing
import WALArchive
import WALTestSupport
import WriteAheadLog

@Suite("Archive and restore")
struct ArchiveRestoreTests {
    @Test("a log archived while it is written restores to exactly the transactions committed at or before each LSN")
    func restoreToEachLSN() async throws {
        let built = try await BuiltArchive.make()
        #expect(built.keys.count >= 4)
        let last = try #require(built.log.commits.last?.lsn)
        let commitLSNs = built.log.commits.map(\.lsn)
        // Each commit, the LSN just before it (inside that transaction),
        // one before the first commit's begin, and past the end.
        var targets = [commitLSNs[0], LSN(commitLSNs[0].rawValue - 1), last, LSN(last.rawValue + 100)]
        targets += stride(from: 1, to: commitLSNs.count, by: 3).flatMap { [commitLSNs[$0], LSN(commitLSNs[$0].rawValue - 1)] }
        for (index, target) in targets.enumerated() {
            let directory = built.temporary.child("restored-\(index)")
            let expected = built.log.events(upTo: target)
            if expected.isEmpty {
                await #expect(throws: ArchiveError.self) {
                    try await ArchiveRestore.restore(from: built.store, prefix: "db", into: directory, upTo: target)
                }
                continue
            }
            let report = try await ArchiveRestore.restore(from: built.store, prefix: "db", into: directory, upTo: target)
            #expect(report.restoredLSN == built.log.commits.last(where: { $0.lsn <= target })?.lsn)
            #expect(try replayedEvents(directory) == expected, "target \(target)")
        }
    }

    @Test("a restored log opens, continues at the next LSN, and has the original segment ids")
    func restoredLogContinues() async throws {
        let built = try await BuiltArchive.make()
        let directory = built.temporary.child("restored")
        let report = try await ArchiveRestore.restore(from: built.store, prefix: "db", into: directory)
        #expect(report.segments.count > 1)
        #expect(try built.temporary.names("restored") == report.segments.map(\.fileName))
        let (wal, events, _) = try WAL<[UInt8]>.open(directory: directory, options: WALOptions(syncMode: .none))
        #expect(events == built.log.events(upTo: report.restoredLSN))
        let committed: Commit? = try await wal.commit([[1, 2, 3]])
        let next = try #require(committed)
        #expect(next.beginLSN.rawValue == report.restoredLSN.rawValue + 1)
        try wal.close()
    }

    @Test("a log restored from a snapshot inside a segment goes on in a new segment, so the writer that takes the archive over extends a sound chain")
    func restoredFromSnapshotContinuesTheChain() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.child("archive"))
        // One large segment: the snapshot falls inside it.
        let log = try RecordingLog(directory: temporary.child("log"), segmentTargetBytes: 1 << 20)
        let snapshots = try TestSnapshots(directory: temporary.child("snapshots"))
        let old = Archiver(directory: temporary.child("log"), store: store, options: ArchiverOptions(prefix: "db", snapshots: snapshots, holder: "old"))
        try log.commit(6)
        _ = try await old.archiveOnce()
        let middle = try #require(log.commits.last?.lsn)
        try snapshots.write(log.events(upTo: middle), lsn: middle)
        try log.commit(5)
        _ = try await old.archiveOnce()
        _ = try await old.archiveOnce()

        let restored = temporary.child("restored")
        let report = try await ArchiveRestore.restore(
            from: store, prefix: "db", into: restored + "/wal", snapshotPath: { restored + "/snap-\($0.rawValue)" })
        #expect(report.snapshotLSN == middle)
        let (wal, _, _) = try WAL<[UInt8]>.open(
            directory: restored + "/wal", options: WALOptions(syncMode: .none), fence: middle)
        var added: [[UInt8]] = []
        for index in 0..<4 {
            let event: [UInt8] = [0xCD, UInt8(index)]
            _ = try await wal.commit([event])
            added.append(event)
        }
        try wal.close()
        let new = Archiver(
            directory: restored + "/wal", store: store, options: ArchiverOptions(prefix: "db", holder: "new", takesOver: true))
        _ = try await new.archiveOnce()
        let verified = try await ArchiveRestore.verify(store: store, prefix: "db")
        #expect(verified.lastLSN.rawValue == report.restoredLSN.rawValue + 4 * 3)
        let again = temporary.child("again")
        let whole = try await ArchiveRestore.restore(from: store, prefix: "db", into: again)
        #expect(whole.restoredLSN == verified.lastLSN)
        #expect(try replayedEvents(again) == log.events(upTo: report.restoredLSN) + added)
    }

    @Test("restore refuses a directory that already holds a log")
    func restoreRefusesExistingLog() async throws {
        let built = try await BuiltArchive.make(rounds: 1)
        await #expect(throws: ArchiveError.self) {
            try await ArchiveRestore.restore(from: built.store, prefix: "db", into: built.temporary.child("log"))
        }
    }

    @Test("restore refuses a broken chain")
    func restoreRefusesBrokenChain() async throws {
        let built = try await BuiltArchive.make()
        try await built.store.delete(built.keys[1])
        let error = await #expect(throws: ArchiveError.self) {
            try await ArchiveRestore.restore(from: built.store, prefix: "db", into: built.temporary.child("restored"))
        }
        #expect(error?.code == .brokenChain)
        #expect(error?.key == built.keys[2])
    }

    @Test("a second round ships nothing when nothing was committed, and continues the chain when something was")
    func roundsContinueTheChain() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let log = try RecordingLog(directory: temporary.child("log"))
        try log.commit(2)
        let first = try await Archiver(directory: temporary.child("log"), store: store).archiveOnce()
        #expect(first.shipped.count == 1)
        // A new archiver (a restarted process) resumes from the head.
        let archiver = Archiver(directory: temporary.child("log"), store: store)
        #expect(try await archiver.archiveOnce().shipped.isEmpty)
        try log.commit(2)
        let third = try await archiver.archiveOnce()
        #expect(third.archivedLSN == log.commits.last?.lsn.rawValue)
        let report = try await ArchiveRestore.verify(store: store)
        #expect(report.lastLSN == log.commits.last?.lsn)
        try log.wal.close()
    }
}
