import Foundation
import Synchronization
import Testing
import WALArchive
import WALTestSupport
import WriteAheadLog

@Suite("One writer per archive: the lease")
struct ArchiveLeaseTests {
    static func expectCode(_ code: ArchiveError.Code, _ words: String, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected \(code)")
        } catch let error as ArchiveError {
            #expect(error.code == code, "\(error)")
            #expect(error.description.contains(words), "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("a second primary refuses a leased archive; a restarted primary under the same name goes on")
    func secondWriterRefused() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let log = try RecordingLog(directory: temporary.child("log"))
        try log.commit(4)
        _ = try await Archiver(directory: temporary.child("log"), store: store, options: ArchiverOptions(holder: "primary-a")).archiveOnce()

        let other = try RecordingLog(directory: temporary.child("other"))
        try other.commit(4)
        try other.wal.close()
        await Self.expectCode(.leased, "leased to primary-a at epoch 1") {
            _ = try await Archiver(directory: temporary.child("other"), store: store, options: ArchiverOptions(holder: "primary-b")).archiveOnce()
        }

        try log.commit(3)
        try log.wal.close()
        let restarted = Archiver(directory: temporary.child("log"), store: store, options: ArchiverOptions(holder: "primary-a"))
        let round = try await restarted.archiveOnce()
        #expect(round.archivedLSN == log.commits.last?.lsn.rawValue)
        #expect(try await ArchiveRestore.verify(store: store).lastLSN == log.commits.last?.lsn)
    }

    @Test("an idle primary, with nothing to ship, learns of a take-over at its next round (one HEAD of the head object)")
    func idleFencedAtNextRound() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let log = try RecordingLog(directory: temporary.child("log"))
        try log.commit(4)
        let old = Archiver(directory: temporary.child("log"), store: store, options: ArchiverOptions(holder: "old"))
        _ = try await old.archiveOnce()
        _ = try await old.archiveOnce()
        _ = try await Archiver(directory: temporary.child("log"), store: store, options: ArchiverOptions(holder: "new", takesOver: true)).acquire()
        await Self.expectCode(.fenced, "taken over by new") { _ = try await old.archiveOnce() }
        #expect(old.status.isFenced)
    }

    @Test("a take-over fences the old primary: its next round fails, every later one says it is fenced, and the archive stays sound")
    func takeOverFences() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let log = try RecordingLog(directory: temporary.child("log"))
        try log.commit(5)
        let old = Archiver(directory: temporary.child("log"), store: store, options: ArchiverOptions(holder: "old"))
        let first = try await old.archiveOnce()

        // The new primary continues from the archived log: a restore of it.
        let restoredDirectory = temporary.child("new")
        _ = try await ArchiveRestore.restore(from: store, into: restoredDirectory)
        let new = Archiver(directory: restoredDirectory, store: store, options: ArchiverOptions(holder: "new", takesOver: true))
        let (wal, _, _) = try WAL<[UInt8]>.open(directory: restoredDirectory, options: WALOptions(syncMode: .none))
        _ = try await new.archiveOnce()

        // The old primary goes on committing; its round loses at the head.
        try log.commit(2)
        await #expect(throws: ArchiveError.self) { _ = try await old.archiveOnce() }
        await Self.expectCode(.fenced, "taken over by new at epoch 2") { _ = try await old.archiveOnce() }
        await Self.expectCode(.fenced, "taken over by new") { _ = try await old.archiveOnce() }

        // The new primary writes LSNs after the archived ones, replacing any piece the old one left.
        var newEvents: [[UInt8]] = []
        for index in 0..<6 {
            let event: [UInt8] = [0xAB, UInt8(index)]
            _ = try await wal.commit([event])
            newEvents.append(event)
        }
        try wal.close()
        let round = try await new.archiveOnce()
        #expect(round.archivedLSN > first.archivedLSN)
        _ = try await ArchiveRestore.verify(store: store)
        let final = temporary.child("final")
        _ = try await ArchiveRestore.restore(from: store, into: final)
        #expect(try replayedEvents(final) == log.events(upTo: LSN(first.archivedLSN)) + newEvents)
        try log.wal.close()
    }

    @Test("the run loop stops once fenced")
    func runStopsWhenFenced() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let log = try RecordingLog(directory: temporary.child("log"))
        try log.commit(3)
        let old = Archiver(
            directory: temporary.child("log"), store: store, options: ArchiverOptions(archiveInterval: .milliseconds(10), holder: "old"))
        _ = try await old.archiveOnce()
        _ = try await Archiver(directory: temporary.child("log"), store: store, options: ArchiverOptions(holder: "new", takesOver: true))
            .archiveOnce()
        try log.commit(1)
        // Returns by itself (no cancellation) once a round reports the fence.
        await old.run { _ in }
        #expect(old.status.lastError?.contains("taken over") == true)
        try log.wal.close()
    }
}

/// A store through which a process dies just before its next head update:
/// once armed, a put to the head never lands, and nothing is deleted.
final class DiesBeforeHeadUpdate: ArchiveStore {
    struct Died: Error {}
    let base: FileArchiveStore
    let armed = Mutex(false)

    init(base: FileArchiveStore) { self.base = base }

    func put(_ key: String, _ bytes: [UInt8], condition: WriteCondition) async throws -> ObjectVersion {
        if armed.withLock({ $0 }) && key.hasSuffix("head") { throw Died() }
        return try await base.put(key, bytes, condition: condition)
    }
    func get(_ key: String) async throws -> StoredObject? { try await base.get(key) }
    func head(_ key: String) async throws -> ObjectInfo? { try await base.head(key) }
    func list(prefix: String, after: String?, limit: Int) async throws -> ListPage {
        try await base.list(prefix: prefix, after: after, limit: limit)
    }
    func delete(_ key: String) async throws {
        if armed.withLock({ $0 }) { throw Died() }
        try await base.delete(key)
    }
}

extension ArchiveLeaseTests {
    @Test("a stray piece of a fenced writer that died before its head update is passed over by verify and restore, and listed")
    func strayOfDeadFencedWriter() async throws {
        let temporary = TemporaryDirectory()
        let base = FileArchiveStore(directory: temporary.child("archive"))
        let log = try RecordingLog(directory: temporary.child("log"))
        try log.commit(5)
        let dying = DiesBeforeHeadUpdate(base: base)
        let old = Archiver(directory: temporary.child("log"), store: dying, options: ArchiverOptions(holder: "old"))
        let archived = try await old.archiveOnce().archivedLSN

        // A new primary takes over from a restore of the archive.
        let newDirectory = temporary.child("new")
        _ = try await ArchiveRestore.restore(from: base, into: newDirectory)
        let new = Archiver(directory: newDirectory, store: base, options: ArchiverOptions(holder: "new", takesOver: true))
        _ = try await new.archiveOnce()

        // The old primary, not yet aware, ships a piece and dies before its head update.
        try log.commit(3)
        dying.armed.withLock { $0 = true }
        await #expect(throws: DiesBeforeHeadUpdate.Died.self) { _ = try await old.archiveOnce() }
        try log.wal.close()

        // The new primary's next piece starts at the same LSN as the stray, under another key.
        let (wal, _, _) = try WAL<[UInt8]>.open(directory: newDirectory, options: WALOptions(syncMode: .none))
        var newEvents: [[UInt8]] = []
        for index in 0..<9 {
            let event: [UInt8] = [0xCD, UInt8(index)]
            _ = try await wal.commit([event])
            newEvents.append(event)
        }
        try wal.close()
        let round = try await new.archiveOnce()
        let stray = try FileManager.default.contentsOfDirectory(atPath: base.root + "/segments")
            .map { "segments/" + $0 }.filter { !round.shipped.contains($0) && ArchiveLayout(prefix: "").pieceRange(of: $0)?.lowerBound.rawValue == archived + 1 }
        try #require(stray.count == 1, "the old primary left one stray piece")

        let report = try await ArchiveRestore.verify(store: base)
        #expect(report.strayPieces == stray)
        let restored = temporary.child("restored")
        _ = try await ArchiveRestore.restore(from: base, into: restored)
        #expect(try replayedEvents(restored) == log.events(upTo: LSN(archived)) + newEvents)
    }
}

extension ArchiveLeaseTests {
    @Test("a fenced writer that does not know it yet never removes the new writer's piece under the same key")
    func fencedWriterKeepsHandsOff() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let log = try RecordingLog(directory: temporary.child("log"))
        try log.commit(3)
        let old = Archiver(directory: temporary.child("log"), store: store, options: ArchiverOptions(holder: "old"))
        let archived = try await old.archiveOnce().archivedLSN

        // The new writer continues a restore of the archive with one transaction and ships it.
        let newDirectory = temporary.child("new")
        _ = try await ArchiveRestore.restore(from: store, into: newDirectory)
        let (wal, _, _) = try WAL<[UInt8]>.open(directory: newDirectory, options: WALOptions(syncMode: .none))
        let newEvent: [UInt8] = [0xEE, 1]
        _ = try await wal.commit([newEvent])
        try wal.close()
        let new = Archiver(directory: newDirectory, store: store, options: ArchiverOptions(holder: "new", takesOver: true))
        let shipped = try await new.archiveOnce().shipped

        // The old writer commits one transaction of the same shape (the same
        // LSNs, so the same piece key) and ships with its cached head.
        _ = try await log.wal.commit([[0x0D, 1]])
        try log.wal.close()
        #expect(try FileManager.default.fileExists(atPath: store.root + "/" + #require(shipped.first)))
        await #expect(throws: ArchiveError.self) { _ = try await old.archiveOnce() }
        await #expect(throws: ArchiveError.self) { _ = try await old.archiveOnce() }

        _ = try await ArchiveRestore.verify(store: store)
        let restored = temporary.child("restored")
        _ = try await ArchiveRestore.restore(from: store, into: restored)
        #expect(try replayedEvents(restored) == log.events(upTo: LSN(archived)) + [newEvent])
    }
}
