import Foundation
import Synchronization
import Testing
import WALArchive
import WALTestSupport
import WriteAheadLog

/// Snapshots the tests write beside a log: a file holding the events of
/// every transaction up to its LSN, in a trivial framing.
final class TestSnapshots: SnapshotSource {
    private let files = Mutex<[ArchivableSnapshot]>([])
    let directory: String

    init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func snapshots() throws -> [ArchivableSnapshot] { files.withLock { $0 } }

    /// Writes a snapshot of `events` consistent with `lsn`.
    func write(_ events: [[UInt8]], lsn: LSN) throws {
        let path = directory + "/snap-\(lsn.rawValue)"
        try Data(Self.encode(events)).write(to: URL(fileURLWithPath: path))
        files.withLock { $0.append(ArchivableSnapshot(lsn: lsn.rawValue, path: path)) }
    }

    /// Forgets (and deletes) every snapshot but the newest, as pruning does.
    func prune() throws {
        let dropped = files.withLock { files -> [ArchivableSnapshot] in
            let sorted = files.sorted { $0.lsn < $1.lsn }
            files = Array(sorted.suffix(1))
            return Array(sorted.dropLast())
        }
        for file in dropped { try FileManager.default.removeItem(atPath: file.path) }
    }

    static func encode(_ events: [[UInt8]]) -> [UInt8] {
        events.flatMap { event in [UInt8(event.count & 0xFF), UInt8(event.count >> 8)] + event }
    }

    static func decode(_ bytes: [UInt8]) -> [[UInt8]] {
        var events: [[UInt8]] = []
        var offset = 0
        while offset + 2 <= bytes.count {
            let count = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
            events.append(Array(bytes[(offset + 2)..<(offset + 2 + count)]))
            offset += 2 + count
        }
        return events
    }
}

/// The events a restored snapshot-plus-log gives back: the snapshot's, then
/// the log's above the snapshot's LSN.
func restoredEvents(log directory: String, snapshot: (lsn: LSN, path: String)?) throws -> [[UInt8]] {
    var events: [[UInt8]] = []
    var fence = LSN.none
    if let snapshot {
        events = TestSnapshots.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: snapshot.path))))
        fence = snapshot.lsn
    }
    let (wal, replayed, _) = try WAL<[UInt8]>.open(directory: directory, options: WALOptions(syncMode: .none), fence: fence)
    try wal.close()
    return events + replayed
}

@Suite("Snapshots in the archive")
struct ArchivedSnapshotTests {
    /// A log written in rounds with a checkpoint (snapshot, then truncation)
    /// after every other round, archived after every round.
    static func checkpointedArchive(
        _ temporary: TemporaryDirectory, rounds: Int = 6, archiveFromRound: Int = 0, pruning: Bool = false
    ) async throws -> (RecordingLog, FileArchiveStore, [LSN]) {
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let log = try RecordingLog(directory: temporary.child("log"), segmentTargetBytes: 1024)
        let snapshots = try TestSnapshots(directory: temporary.child("snapshots"))
        let archiver = Archiver(
            directory: temporary.child("log"), store: store, options: ArchiverOptions(prefix: "db", snapshots: snapshots))
        var snapshotLSNs: [LSN] = []
        for round in 0..<rounds {
            try log.commit(6 + round)
            if round % 2 == 1, let last = log.commits.last?.lsn {
                try snapshots.write(log.events(upTo: last), lsn: last)
                snapshotLSNs.append(last)
                if round >= archiveFromRound { _ = try await archiver.archiveOnce() }
                _ = try log.wal.truncate(upTo: last)
                if pruning { try snapshots.prune() }
            }
            if round >= archiveFromRound { _ = try await archiver.archiveOnce() }
        }
        try log.wal.close()
        return (log, store, snapshotLSNs)
    }

    @Test("a restore to any LSN starts from the newest snapshot at or below it and gives exactly the transactions committed by then")
    func restoreFromSnapshots() async throws {
        let temporary = TemporaryDirectory()
        let (log, store, snapshotLSNs) = try await Self.checkpointedArchive(temporary)
        let report = try await ArchiveRestore.verify(store: store, prefix: "db")
        #expect(report.snapshots == snapshotLSNs)

        let last = log.commits.last?.lsn ?? .none
        let firstCommit = try #require(log.commits.first?.lsn)
        // Every snapshot's LSN, the LSNs around it, and a stride through the rest.
        let targets = Set(stride(from: firstCommit.rawValue, through: last.rawValue, by: 7))
            .union(snapshotLSNs.flatMap { [$0.rawValue - 1, $0.rawValue, $0.rawValue + 1] })
            .union([last.rawValue])
            .filter { $0 >= firstCommit.rawValue }
        for (index, target) in targets.sorted().enumerated() {
            let data = temporary.child("restore-\(index)")
            let restored = try await ArchiveRestore.restore(
                from: store, prefix: "db", into: data + "/wal", upTo: LSN(target),
                snapshotPath: { lsn in data + "/snapshots/\(lsn.rawValue).snap" })
            let used = snapshotLSNs.last { $0.rawValue <= target }
            #expect(restored.snapshotLSN == used, "target \(target)")
            let events = try restoredEvents(
                log: data + "/wal", snapshot: restored.snapshotPath.map { (restored.snapshotLSN ?? .none, $0) })
            #expect(events == log.events(upTo: LSN(target)), "target \(target)")
        }
    }

    @Test("an archive begun after the log was truncated restores from its first snapshot on, and says why it cannot go earlier")
    func archiveBegunLate() async throws {
        let temporary = TemporaryDirectory()
        // The first checkpoint (round 1) truncates before the archiver's first round (round 2).
        let (log, store, snapshotLSNs) = try await Self.checkpointedArchive(temporary, archiveFromRound: 2, pruning: true)
        let first = try #require(snapshotLSNs.first)
        let archived = try await ArchiveRestore.verify(store: store, prefix: "db")
        // The snapshot the late archive can start from is there; older ones were pruned locally first.
        #expect(archived.snapshots.first ?? .none >= first)
        let start = try #require(archived.snapshots.first)

        let data = temporary.child("restore")
        let restored = try await ArchiveRestore.restore(
            from: store, prefix: "db", into: data + "/wal", upTo: nil, snapshotPath: { data + "/snap-\($0.rawValue)" })
        let events = try restoredEvents(log: data + "/wal", snapshot: restored.snapshotPath.map { (restored.snapshotLSN ?? .none, $0) })
        #expect(events == log.events(upTo: log.commits.last?.lsn ?? .none))

        let early = temporary.child("early")
        do {
            _ = try await ArchiveRestore.restore(
                from: store, prefix: "db", into: early + "/wal", upTo: LSN(start.rawValue - 1),
                snapshotPath: { early + "/snap-\($0.rawValue)" })
            Issue.record("a restore before the first usable snapshot succeeded")
        } catch let error as ArchiveError {
            #expect(error.code == .notFound)
            #expect(error.description.contains("no snapshot at or below"), "\(error)")
        }
    }

    @Test("verify names a damaged, a foreign and a missing snapshot")
    func verifyNamesSnapshots() async throws {
        let temporary = TemporaryDirectory()
        let (_, store, snapshotLSNs) = try await Self.checkpointedArchive(temporary)
        let layout = ArchiveLayout(prefix: "db")
        let newest = layout.snapshotKey(lsn: try #require(snapshotLSNs.last))
        let path = store.root + "/" + newest
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))

        var flipped = original
        flipped[flipped.count - 1] ^= 0x40
        try Data(flipped).write(to: URL(fileURLWithPath: path))
        await expectVerifyNames(store, newest, code: .corruption)

        try FileManager.default.removeItem(atPath: path)
        await expectVerifyNames(store, newest, code: .brokenChain)

        try Data(original).write(to: URL(fileURLWithPath: path))
        let foreign = layout.snapshotsPrefix + "notes.txt"
        _ = try await store.put(foreign, Array("hello".utf8), condition: .unconditional)
        await expectVerifyNames(store, foreign, code: .brokenChain)
    }

    func expectVerifyNames(_ store: FileArchiveStore, _ key: String, code: ArchiveError.Code) async {
        do {
            _ = try await ArchiveRestore.verify(store: store, prefix: "db")
            Issue.record("verify passed; expected it to name \(key)")
        } catch let error as ArchiveError {
            #expect(error.code == code, "\(error)")
            #expect(error.key == key, "\(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
