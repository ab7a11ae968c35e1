import Synchronization
import Testing
import WALArchive
import WALTestSupport
import WriteAheadLog

/// A store whose process "dies" at one operation: that operation lands or
/// not (a request the server completed whose answer never arrived, or one
/// that never got there), and every later one fails, as nothing of a dead
/// process reaches the store.
final class DyingStore: ArchiveStore {
    struct Died: Error {}

    let base: FileArchiveStore
    let dieAt: Int
    let lands: Bool
    private let count = Mutex(0)

    init(base: FileArchiveStore, dieAt: Int, lands: Bool) {
        self.base = base
        self.dieAt = dieAt
        self.lands = lands
    }

    var operations: Int { count.withLock { $0 } }

    /// Runs `operation` unless the process is dead; at the fatal one, lets it land or not, then dies.
    private func step<T>(_ operation: () async throws -> T) async throws -> T {
        let index = count.withLock { value -> Int in
            defer { value += 1 }
            return value
        }
        if index < dieAt { return try await operation() }
        if index == dieAt && lands { _ = try await operation() }
        throw Died()
    }

    func put(_ key: String, _ bytes: [UInt8], condition: WriteCondition) async throws -> ObjectVersion {
        try await step { try await base.put(key, bytes, condition: condition) }
    }
    func get(_ key: String) async throws -> StoredObject? { try await step { try await base.get(key) } }
    func head(_ key: String) async throws -> ObjectInfo? { try await step { try await base.head(key) } }
    func list(prefix: String, after: String?, limit: Int) async throws -> ListPage {
        try await step { try await base.list(prefix: prefix, after: after, limit: limit) }
    }
    func delete(_ key: String) async throws { try await step { try await base.delete(key) } }
}

@Suite("An archiver that dies at any store operation")
struct ArchiverCrashTests {
    /// Rounds of commits, checkpoints (snapshot and truncation) and
    /// archiving against `store`, until the store dies; returns the highest
    /// LSN a round acknowledged.
    static func work(
        log: RecordingLog, snapshots: TestSnapshots, directory: String, store: any ArchiveStore, rounds: Range<Int>
    ) async -> UInt64 {
        let archiver = Archiver(directory: directory, store: store, options: ArchiverOptions(prefix: "db", snapshots: snapshots))
        var acknowledged: UInt64 = 0
        for round in rounds {
            do {
                try log.commit(3 + round % 4)
                if round % 3 == 2, let last = log.commits.last?.lsn {
                    try snapshots.write(log.events(upTo: last), lsn: last)
                }
                acknowledged = max(acknowledged, try await archiver.archiveOnce().archivedLSN)
                // Truncate only what the archive holds (the archive is a fence).
                if round % 3 == 2 { _ = try log.wal.truncate(upTo: LSN(acknowledged)) }
            } catch {
                return acknowledged
            }
        }
        return acknowledged
    }

    @Test("after a death at every store operation, a new archiver continues the chain; nothing acknowledged is lost and restores are exact")
    func dieAtEveryOperation() async throws {
        // Count the operations of an undisturbed run.
        let probe = TemporaryDirectory()
        let counting = DyingStore(base: FileArchiveStore(directory: probe.child("archive")), dieAt: .max, lands: false)
        let probeLog = try RecordingLog(directory: probe.child("log"), segmentTargetBytes: 1024)
        _ = await Self.work(
            log: probeLog, snapshots: try TestSnapshots(directory: probe.child("snapshots")), directory: probe.child("log"),
            store: counting, rounds: 0..<6)
        try probeLog.wal.close()
        let total = counting.operations
        #expect(total > 20)

        for dieAt in 0..<total {
            for lands in [false, true] {
                let temporary = TemporaryDirectory("die-\(dieAt)-\(lands)")
                let base = FileArchiveStore(directory: temporary.child("archive"))
                let log = try RecordingLog(directory: temporary.child("log"), segmentTargetBytes: 1024)
                let snapshots = try TestSnapshots(directory: temporary.child("snapshots"))
                let dying = DyingStore(base: base, dieAt: dieAt, lands: lands)
                let acknowledged = await Self.work(
                    log: log, snapshots: snapshots, directory: temporary.child("log"), store: dying, rounds: 0..<6)
                // The next process: same log, same archive, a new archiver.
                let resumed = await Self.work(
                    log: log, snapshots: snapshots, directory: temporary.child("log"), store: base, rounds: 6..<9)
                try log.wal.close()
                let label = "died at operation \(dieAt) of \(total) (\(lands ? "landed" : "lost"))"

                let verified = try await ArchiveRestore.verify(store: base, prefix: "db")
                #expect(verified.lastLSN.rawValue >= acknowledged, "\(label)")
                #expect(verified.lastLSN == log.commits.last?.lsn, "\(label): the resumed archiver caught up")
                #expect(resumed == verified.lastLSN.rawValue, "\(label)")

                for target in [acknowledged, verified.lastLSN.rawValue] where target > 0 {
                    let data = temporary.child("restore-\(target)")
                    let restored = try await ArchiveRestore.restore(
                        from: base, prefix: "db", into: data + "/wal", upTo: LSN(target),
                        snapshotPath: { data + "/snap-\($0.rawValue)" })
                    let events = try restoredEvents(
                        log: data + "/wal", snapshot: restored.snapshotPath.map { (restored.snapshotLSN ?? .none, $0) })
                    #expect(events == log.events(upTo: LSN(target)), "\(label), restore to \(target)")
                }
            }
        }
    }
}

extension ArchiverCrashTests {
    @Test("after a writer died between a piece and its head update, verify passes and lists the piece; a foreign object there is named")
    func unacknowledgedPieceAfterDeath() async throws {
        let temporary = TemporaryDirectory()
        let base = FileArchiveStore(directory: temporary.child("archive"))
        let log = try RecordingLog(directory: temporary.child("log"))
        try log.commit(4)
        let dying = DiesBeforeHeadUpdate(base: base)
        let archiver = Archiver(directory: temporary.child("log"), store: dying)
        _ = try await archiver.archiveOnce()
        try log.commit(2)
        try log.wal.close()
        dying.armed.withLock { $0 = true }
        await #expect(throws: DiesBeforeHeadUpdate.Died.self) { _ = try await archiver.archiveOnce() }

        let report = try await ArchiveRestore.verify(store: base)
        #expect(report.unacknowledgedPieces.count == 1)
        // The next process's first round removes it and ships the same records.
        let round = try await Archiver(directory: temporary.child("log"), store: base).archiveOnce()
        #expect(round.removedLeftovers == report.unacknowledgedPieces)
        #expect(try await ArchiveRestore.verify(store: base).unacknowledgedPieces.isEmpty)

        let foreign = "segments/99999999999999999990-99999999999999999999.seg"
        _ = try await base.put(foreign, Array("not a piece".utf8), condition: .unconditional)
        let error = await #expect(throws: ArchiveError.self) { _ = try await ArchiveRestore.verify(store: base) }
        #expect(error?.key == foreign)
    }
}
