import Foundation
import Testing
import WALTestSupport

@testable import WriteAheadLog

@Suite("Commit and replay")
struct ReplayTests {
    @Test("transactions round-trip through close and reopen, in commit order")
    func roundTrip() throws {
        let directory = TemporaryDirectory()
        var expected: [Note] = []
        do {
            let (wal, _, _) = try openNotes(directory.path)
            for index in 0..<50 {
                let notes = (0...(index % 4)).map { Note(UInt16(index), "event \($0) of \(index)") }
                let commit = try #require(try wal.commit(notes))
                #expect(commit.commitLSN == LSN(UInt64(index * 3 + 3)))
                expected += notes
            }
            try wal.close()
        }
        let (wal, events, report) = try openNotes(directory.path)
        #expect(events == expected)
        #expect(report.transactionsReplayed == 50)
        #expect(wal.nextLSN == LSN(151))
        #expect(wal.durableLSN == LSN(150))
        try wal.close()
    }

    @Test("an empty event list writes nothing and says so")
    func emptyCommit() throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.path)
        let size = try SegmentFiles.read(SegmentFiles.segmentPath(directory.path, 1)).count
        #expect(try wal.commit([Note]()) == nil)
        try wal.sync()
        #expect(wal.nextLSN == LSN(1))
        #expect(try SegmentFiles.read(SegmentFiles.segmentPath(directory.path, 1)).count == size)
        try wal.close()
    }

    @Test("aborted transactions and a transaction without a commit at the end are dropped")
    func abortedAndIncomplete() throws {
        let directory = TemporaryDirectory()
        do {
            let (wal, _, _) = try openNotes(directory.path)
            try wal.commit([Note(1, "first")])
            let aborted = try wal.begin()
            _ = try wal.append(Note(2, "aborted"), to: aborted)
            _ = try wal.abort(aborted)
            try wal.commit([Note(3, "third")])
            let open = try wal.begin()
            _ = try wal.appendBatch([Note(4, "never"), Note(5, "committed")], to: open)
            try wal.close()
        }
        let (wal, events, report) = try openNotes(directory.path)
        #expect(events == [Note(1, "first"), Note(3, "third")])
        #expect(report.transactionsAborted == 1)
        #expect(report.transactionsIncomplete == 1)
        try wal.close()
    }

    @Test("the primitives build a transaction replay returns whole")
    func primitives() throws {
        let directory = TemporaryDirectory()
        do {
            let (wal, _, _) = try openNotes(directory.path)
            let tx = try wal.begin()
            _ = try wal.append(Note(1, "a"), to: tx)
            _ = try wal.appendBatch([Note(2, "b"), Note(3, "c")], to: tx)
            _ = try wal.commit(transaction: tx)
            try wal.close()
        }
        let (wal, events, _) = try openNotes(directory.path)
        #expect(events == [Note(1, "a"), Note(2, "b"), Note(3, "c")])
        try wal.close()
    }

    @Test("the fence skips transactions already in the snapshot")
    func fence() throws {
        let directory = TemporaryDirectory()
        var fenceLSN = LSN.none
        do {
            let (wal, _, _) = try openNotes(directory.path)
            try wal.commit([Note(1, "in snapshot")])
            fenceLSN = try #require(try wal.commit([Note(2, "in snapshot too")])).commitLSN
            _ = try wal.recordCheckpoint(snapshotLSN: fenceLSN)
            try wal.commit([Note(3, "after")])
            try wal.close()
        }
        let (wal, events, report) = try openNotes(directory.path, fence: fenceLSN)
        #expect(events == [Note(3, "after")])
        #expect(report.transactionsBelowFence == 2)
        #expect(report.newestCheckpoint == CheckpointMarker(markerLSN: LSN(fenceLSN.rawValue + 1), snapshotLSN: fenceLSN))
        try wal.close()
    }

    @Test("a transaction that straddles the fence is refused rather than half replayed")
    func straddlingFence() throws {
        let directory = TemporaryDirectory()
        var builder = SegmentBuilder(baseLSN: 1)
        try builder.record(.txBegin, 1, tx: 1)
        try builder.record(.mutation, 2, tx: 1, events: [Note(1, "below")])
        try builder.record(.mutation, 3, tx: 1, events: [Note(2, "above")])
        try builder.record(.txCommit, 4, tx: 1)
        try builder.write(to: directory.path, id: 1)
        let error = expectWALError(.structural) { _ = try openNotes(directory.path, fence: LSN(2)) }
        #expect(error?.message.contains("straddles") == true)
    }

    @Test("streaming open hands over each transaction as replay reaches its commit")
    func streaming() throws {
        let directory = TemporaryDirectory()
        do {
            let (wal, _, _) = try openNotes(directory.path)
            for index in 0..<10 { try wal.commit([Note(UInt16(index), "a"), Note(UInt16(index), "b")]) }
            try wal.close()
        }
        var seen: [(LSN, LSN, Int)] = []
        let (wal, report) = try WAL<Note>.open(directory: directory.path, options: .test()) { transaction in
            seen.append((transaction.beginLSN, transaction.commitLSN, transaction.events.count))
        }
        #expect(seen.count == 10)
        #expect(seen.allSatisfy { $0.2 == 2 && $0.1.rawValue == $0.0.rawValue + 2 })
        #expect(report.eventsReplayed == 20)
        try wal.close()
    }

    @Test("an error thrown while streaming stops the open and releases the lock")
    func streamingError() throws {
        struct Stop: Error {}
        let directory = TemporaryDirectory()
        do {
            let (wal, _, _) = try openNotes(directory.path)
            try wal.commit([Note(1, "a")])
            try wal.close()
        }
        #expect(throws: Stop.self) {
            _ = try WAL<Note>.open(directory: directory.path, options: .test()) { _ in throw Stop() }
        }
        try openNotes(directory.path).0.close()
    }

    @Test("standalone replay reads without the lock and writes nothing")
    func standaloneReplay() throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.path)
        try wal.commit([Note(1, "a")])
        try wal.commit([Note(2, "b")])
        let garbage: [UInt8] = [9, 9, 9, 9, 9]
        let end = try SegmentFiles.endOfRecords(SegmentFiles.segmentPath(directory.path, 1))
        try SegmentFiles.writeAfterRecords(garbage, in: SegmentFiles.segmentPath(directory.path, 1))
        let before = try SegmentFiles.read(SegmentFiles.segmentPath(directory.path, 1))
        var events: [Note] = []
        let report = try WAL<Note>.replay(directory: directory.path) { events += $0.events }
        #expect(events == [Note(1, "a"), Note(2, "b")])
        #expect(report.maxLSN == LSN(6))
        #expect(report.tornTail?.offset == UInt64(end))
        #expect(try SegmentFiles.read(SegmentFiles.segmentPath(directory.path, 1)) == before)
        try wal.close()
    }

    @Test("a second, user-defined event type works end to end, and so do raw bytes and strings")
    func otherEventTypes() throws {
        let directory = TemporaryDirectory()
        do {
            let (wal, _, _) = try WAL<String>.open(directory: directory.child("strings"), options: .test())
            try wal.commit(["héllo", "wörld", ""])
            try wal.close()
            let (bytesWAL, _, _) = try WAL<[UInt8]>.open(directory: directory.child("bytes"), options: .test())
            try bytesWAL.commit([[0, 1, 2], []])
            try bytesWAL.close()
        }
        let (strings, stringEvents, _) = try WAL<String>.open(directory: directory.child("strings"), options: .test())
        #expect(stringEvents == ["héllo", "wörld", ""])
        try strings.close()
        let (bytes, byteEvents, _) = try WAL<[UInt8]>.open(directory: directory.child("bytes"), options: .test())
        #expect(byteEvents == [[0, 1, 2], []])
        try bytes.close()
    }
}
