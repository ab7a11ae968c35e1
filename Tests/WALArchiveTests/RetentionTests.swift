import Foundation
import Testing
import WALArchive
import WALTestSupport
import WriteAheadLog

@Suite("Retention")
struct RetentionTests {
    /// A log archived in rounds with a snapshot every other round (the log
    /// itself is not truncated, so every piece exists).
    static func archive(_ temporary: TemporaryDirectory, store: FileArchiveStore) async throws -> (RecordingLog, TestSnapshots, [LSN]) {
        let log = try RecordingLog(directory: temporary.child("log"), segmentTargetBytes: 1024)
        let snapshots = try TestSnapshots(directory: temporary.child("snapshots"))
        let archiver = Archiver(directory: temporary.child("log"), store: store, options: ArchiverOptions(prefix: "db", snapshots: snapshots))
        var snapshotLSNs: [LSN] = []
        for round in 0..<8 {
            try log.commit(5 + round)
            if round % 2 == 1, let last = log.commits.last?.lsn {
                try snapshots.write(log.events(upTo: last), lsn: last)
                snapshotLSNs.append(last)
            }
            _ = try await archiver.archiveOnce()
        }
        return (log, snapshots, snapshotLSNs)
    }

    /// Restores to each target and compares with the log; targets before
    /// `firstRestorable` must be refused.
    static func expectRestores(
        _ store: any ArchiveStore, log: RecordingLog, from firstRestorable: LSN, in temporary: TemporaryDirectory, label: String
    ) async throws {
        let last = try #require(log.commits.last?.lsn)
        let targets = log.commits.map(\.lsn).filter { $0.rawValue % 5 == 0 || $0 == firstRestorable || $0 == last }
        for target in targets {
            let data = temporary.child("restore-\(label)-\(target.rawValue)")
            do {
                let restored = try await ArchiveRestore.restore(
                    from: store, prefix: "db", into: data + "/wal", upTo: target, snapshotPath: { data + "/snap-\($0.rawValue)" })
                #expect(target >= firstRestorable, "\(label): restored to \(target), before the oldest kept snapshot \(firstRestorable)")
                let events = try restoredEvents(
                    log: data + "/wal", snapshot: restored.snapshotPath.map { (restored.snapshotLSN ?? .none, $0) })
                #expect(events == log.events(upTo: target), "\(label): restore to \(target)")
            } catch let error as ArchiveError {
                #expect(target < firstRestorable, "\(label): restore to \(target) failed: \(error)")
                #expect(error.code == .notFound, "\(label): \(error)")
            }
        }
    }

    @Test("keeping the newest snapshots deletes older ones and the pieces before them; every kept restore point is exact and verify passes")
    func keepNewest() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let (log, snapshots, snapshotLSNs) = try await Self.archive(temporary, store: store)
        let archiver = Archiver(directory: temporary.child("log"), store: store, options: ArchiverOptions(prefix: "db", snapshots: snapshots))
        let report = try await archiver.applyRetention(RetentionPolicy(keepSnapshots: 2))
        #expect(report.keptSnapshots == snapshotLSNs.suffix(2).map(\.rawValue))
        #expect(report.deletedSnapshots.count == snapshotLSNs.count - 2)
        #expect(!report.deletedPieces.isEmpty)
        let verified = try await ArchiveRestore.verify(store: store, prefix: "db")
        #expect(verified.snapshots == Array(snapshotLSNs.suffix(2)))
        // The head counts what the archive holds now, as status shows it.
        let summary = try await ArchiveSummary.read(store: store, prefix: "db")
        #expect(summary.head.pieces == verified.pieces)
        #expect(summary.head.bytes == UInt64(verified.bytes))
        #expect(summary.firstLSN == verified.firstLSN)
        try await Self.expectRestores(store, log: log, from: snapshotLSNs[snapshotLSNs.count - 2], in: temporary, label: "kept")

        // Archiving goes on after retention, and a second run changes nothing more.
        try log.commit(9)
        _ = try await archiver.archiveOnce()
        let again = try await archiver.applyRetention(RetentionPolicy(keepSnapshots: 2))
        #expect(again.deletedPieces.isEmpty && again.deletedSnapshots.isEmpty)
        _ = try await ArchiveRestore.verify(store: store, prefix: "db")
        try log.wal.close()
    }

    @Test("snapshots younger than keepFor are kept whatever the count")
    func keepByAge() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let (log, snapshots, snapshotLSNs) = try await Self.archive(temporary, store: store)
        try log.wal.close()
        let archiver = Archiver(directory: temporary.child("log"), store: store, options: ArchiverOptions(prefix: "db", snapshots: snapshots))
        let young = try await archiver.applyRetention(RetentionPolicy(keepSnapshots: 1, keepFor: .seconds(3600)))
        #expect(young.keptSnapshots == snapshotLSNs.map(\.rawValue))
        #expect(young.deletedSnapshots.isEmpty)
        let later = try await archiver.applyRetention(RetentionPolicy(keepSnapshots: 1, keepFor: .seconds(3600)), now: Date().addingTimeInterval(7200))
        #expect(later.keptSnapshots == [snapshotLSNs.last?.rawValue].compactMap { $0 })
        _ = try await ArchiveRestore.verify(store: store, prefix: "db")
    }

    @Test("a death at every store operation of a retention run leaves an archive that verifies and restores; the next run finishes")
    func dieDuringRetention() async throws {
        let probe = TemporaryDirectory()
        let probeStore = FileArchiveStore(directory: probe.child("archive"))
        let (probeLog, probeSnapshots, _) = try await Self.archive(probe, store: probeStore)
        try probeLog.wal.close()
        let counting = DyingStore(base: probeStore, dieAt: .max, lands: false)
        _ = try await Archiver(directory: probe.child("log"), store: counting, options: ArchiverOptions(prefix: "db", snapshots: probeSnapshots))
            .applyRetention(RetentionPolicy(keepSnapshots: 1))
        let total = counting.operations

        let temporary = TemporaryDirectory()
        let pristine = temporary.child("pristine")
        let pristineStore = FileArchiveStore(directory: pristine)
        let (log, snapshots, snapshotLSNs) = try await Self.archive(temporary, store: pristineStore)
        try log.wal.close()
        let oldestKept = try #require(snapshotLSNs.last)
        for dieAt in 0..<total {
            for lands in [false, true] {
                let label = "die-\(dieAt)-\(lands)"
                let copy = temporary.child(label)
                try FileManager.default.copyItem(atPath: pristine, toPath: copy)
                let base = FileArchiveStore(directory: copy)
                let dying = DyingStore(base: base, dieAt: dieAt, lands: lands)
                _ = try? await Archiver(directory: temporary.child("log"), store: dying, options: ArchiverOptions(prefix: "db", snapshots: snapshots))
                    .applyRetention(RetentionPolicy(keepSnapshots: 1))
                _ = try await ArchiveRestore.verify(store: base, prefix: "db")
                let restored = temporary.child(label + "-last")
                _ = try await ArchiveRestore.restore(from: base, prefix: "db", into: restored + "/wal", snapshotPath: { restored + "/snap-\($0.rawValue)" })

                let finished = try await Archiver(
                    directory: temporary.child("log"), store: base, options: ArchiverOptions(prefix: "db", snapshots: snapshots)
                ).applyRetention(RetentionPolicy(keepSnapshots: 1))
                #expect(finished.keptSnapshots == [oldestKept.rawValue], "\(label)")
                let verified = try await ArchiveRestore.verify(store: base, prefix: "db")
                #expect(verified.snapshots == [oldestKept], "\(label)")
                let summary = try await ArchiveSummary.read(store: base, prefix: "db")
                #expect(summary.head.pieces == verified.pieces && summary.head.bytes == UInt64(verified.bytes), "\(label): the head's counts")
                try FileManager.default.removeItem(atPath: copy)
            }
        }
        try await Self.expectRestores(pristineStore, log: log, from: LSN(1), in: temporary, label: "untouched")
    }
}
