import Foundation
import Testing
import WALArchive
import WALTestSupport
import WriteAheadLog

@Suite("Restore to a point in time")
struct RestoreToTimeTests {
    @Test("a restore to a moment gives exactly the transactions committed at or before it, whatever the shipping rounds were")
    func toTime() async throws {
        let temporary = TemporaryDirectory()
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let log = try RecordingLog(directory: temporary.child("log"), segmentTargetBytes: 1024)
        let archiver = Archiver(directory: temporary.child("log"), store: store)
        // Batches of commits with a moment taken between them; one shipping
        // round covers several batches, so the rounds do not line up with them.
        var moments: [(time: Date, committed: Int)] = []
        for batch in 0..<6 {
            try log.commit(4 + batch)
            try await Task.sleep(for: .milliseconds(15))
            moments.append((Date(), log.commits.count))
            try await Task.sleep(for: .milliseconds(15))
            if batch % 3 == 2 { _ = try await archiver.archiveOnce() }
        }
        try log.wal.close()

        for (index, moment) in moments.enumerated() {
            let lsn = try await ArchiveRestore.lsn(committedAtOrBefore: moment.time, store: store)
            #expect(lsn == log.commits[moment.committed - 1].lsn, "moment \(index)")
            let directory = temporary.child("restored-\(index)")
            _ = try await ArchiveRestore.restore(from: store, into: directory, upTo: lsn)
            #expect(try replayedEvents(directory) == log.events(upTo: lsn), "moment \(index)")
        }

        let before = try #require(moments.first?.time).addingTimeInterval(-3600)
        let error = await #expect(throws: ArchiveError.self) { _ = try await ArchiveRestore.lsn(committedAtOrBefore: before, store: store) }
        #expect(error?.code == .notFound)
        #expect(error?.description.contains("the first archived one was committed at") == true, "\(String(describing: error))")
    }

    @Test("commit times never go backwards in LSN order, and every commit carries one")
    func commitTimesAreMonotonic() throws {
        let temporary = TemporaryDirectory()
        let options = WALOptions(syncMode: .none)
        let (wal, _, _) = try WAL<[UInt8]>.open(directory: temporary.path, options: options)
        for index in 0..<200 { try wal.commit([[UInt8(truncatingIfNeeded: index)]]) }
        let transaction = try wal.begin()
        _ = try wal.append([9], to: transaction)
        _ = try wal.commit(transaction: transaction)
        try wal.close()
        var times: [Int64] = []
        _ = try WALInspector.scan(directory: temporary.path) { record in
            if record.kind == .txCommit {
                #expect(record.payload.count == CommitTime.payloadSize)
                if let time = CommitTime.decode(record.payload) { times.append(time) }
            }
        }
        #expect(times.count == 201)
        #expect(times == times.sorted())
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        #expect(times.allSatisfy { abs($0 - now) < 600_000_000 })
    }
}
