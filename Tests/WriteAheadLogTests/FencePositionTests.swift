import Foundation
import Testing
import WALTestSupport

@testable import WriteAheadLog

/// `open` with a fence and the position of the fence's record begins
/// reading right after that record: the records before it in its segment
/// are at or below the fence. The position is checked against the log and
/// ignored when it does not match; either way `open` hands over exactly
/// what a full read does.
@Suite("Fence positions")
struct FencePositionTests {
    /// `count` one-note transactions, each commit's LSN with the position
    /// the log gave for it right after the commit.
    static func write(
        _ directory: String, count: Int, segmentTargetBytes: UInt64 = 1 << 20, startingAt first: Int = 0
    ) throws -> [(commit: LSN, position: LogPosition)] {
        let wal = try WAL<Note>.open(directory: directory, options: .test(segmentTargetBytes: segmentTargetBytes)).wal
        var written: [(LSN, LogPosition)] = []
        for index in first..<(first + count) {
            let commit = try #require(try wal.commit([Note(UInt16(index % 60_000), String(repeating: "p", count: 40))])).commitLSN
            written.append((commit, try #require(wal.position(of: commit))))
        }
        try wal.close()
        return written
    }

    /// The notes a full read (`WAL.replay` reads every record) hands over above `fence`.
    static func replayed(_ directory: String, fence: LSN) throws -> [Note] {
        var notes: [Note] = []
        _ = try WAL<Note>.replay(directory: directory, fence: fence) { notes += $0.events }
        return notes
    }

    static func open(
        _ directory: String, fence: LSN, position: LogPosition?, segmentTargetBytes: UInt64 = 1 << 20, readsAhead: Bool = true
    ) throws -> ([Note], ReplayReport) {
        var options = WALOptions.test(segmentTargetBytes: segmentTargetBytes)
        options.replayReadsAhead = readsAhead
        let (wal, notes, report) = try WAL<Note>.open(directory: directory, options: options, fence: fence, fencePosition: position)
        try wal.close()
        return (notes, report)
    }

    @Test("the position of a record names where it starts, in every segment, until something is appended after it")
    func positionNamesTheRecord() throws {
        let directory = TemporaryDirectory()
        let written = try Self.write(directory.path, count: 300, segmentTargetBytes: 4096)
        #expect(Set(written.map(\.position.segment)).count > 5)
        for (commit, position) in written {
            let records = try SegmentFiles.records(of: SegmentFiles.segmentPath(directory.path, position.segment.rawValue))
            let record = try #require(records.first { $0.offset == Int(position.offset) })
            #expect(record.frame.lsn == commit)
            #expect(record.frame.kind == .txCommit)
            #expect(position.lsn == commit)
        }
        // Only the last record has a position, and only until the next append.
        let wal = try WAL<Note>.open(directory: directory.path, options: .test(segmentTargetBytes: 4096)).wal
        #expect(wal.position(of: written.last!.commit) == nil)
        let commit = try #require(try wal.commit([Note(1, "x")])).commitLSN
        #expect(wal.position(of: commit) != nil)
        #expect(wal.position(of: LSN(commit.rawValue - 1)) == nil)
        let marker = try wal.recordCheckpoint(snapshotLSN: commit)
        #expect(wal.position(of: commit) == nil)
        let position = try #require(wal.position(of: marker))
        try wal.close()
        let records = try SegmentFiles.records(of: SegmentFiles.segmentPath(directory.path, position.segment.rawValue))
        #expect(records.first { $0.offset == Int(position.offset) }?.frame.kind == .checkpoint)
    }

    @Test("reading begins after the position and hands over what a full read does, at many fences", arguments: [true, false])
    func sameTransactions(readsAhead: Bool) throws {
        let directory = TemporaryDirectory()
        let written = try Self.write(directory.path, count: 400)
        for index in [0, 1, 57, 200, 398, 399] {
            let (fence, position) = written[index]
            let expected = try Self.replayed(directory.path, fence: fence)
            let (notes, report) = try Self.open(directory.path, fence: fence, position: position, readsAhead: readsAhead)
            #expect(notes == expected)
            #expect(notes.count == 399 - index)
            let skipped = position.offset + UInt64(try Self.frameSize(at: position, in: directory.path)) - UInt64(SegmentHeader.size)
            #expect(report.fencePosition == .used(skippedBytes: skipped))
            #expect(report.transactionsReplayed == 399 - index)
            #expect(report.maxLSN == written[399].commit)
            // Only the bytes after the position were read.
            let fileBytes = report.segments.reduce(0) { $0 + $1.fileBytes }
            #expect(report.bytesScanned == fileBytes - skipped)
        }
    }

    static func frameSize(at position: LogPosition, in directory: String) throws -> Int {
        let records = try SegmentFiles.records(of: SegmentFiles.segmentPath(directory, position.segment.rawValue))
        return try #require(records.first { $0.offset == Int(position.offset) }).frame.size
    }

    @Test("a position that does not match the log is ignored, with the reason, and nothing changes")
    func mismatchesAreIgnored() throws {
        let directory = TemporaryDirectory()
        let written = try Self.write(directory.path, count: 200)
        let (fence, position) = written[100]
        let expected = try Self.replayed(directory.path, fence: fence)
        #expect(expected.count == 99)
        let cases: [(LogPosition, String)] = [
            (LogPosition(segment: position.segment, offset: position.offset, lsn: written[99].commit), "has LSN"),
            (LogPosition(segment: position.segment, offset: position.offset + 1, lsn: position.lsn), "no valid record"),
            (LogPosition(segment: position.segment, offset: 3, lsn: position.lsn), "outside the segment's records"),
            (LogPosition(segment: position.segment, offset: 1 << 40, lsn: position.lsn), "outside the segment's records"),
            (written[101].position, "above the fence"),
            (LogPosition(segment: position.segment, offset: position.offset, lsn: .none), "below the segment's base LSN"),
        ]
        for (wrong, reason) in cases {
            let (notes, report) = try Self.open(directory.path, fence: fence, position: wrong)
            #expect(notes == expected, "\(wrong)")
            guard case .ignored(let why) = report.fencePosition else {
                Issue.record("\(wrong): \(report.fencePosition)")
                continue
            }
            #expect(why.contains(reason), "\(why)")
        }
        // A segment the log does not hold: nothing to use it for.
        let elsewhere = LogPosition(segment: SegmentID(9), offset: position.offset, lsn: position.lsn)
        let (notes, report) = try Self.open(directory.path, fence: fence, position: elsewhere)
        #expect(notes == expected)
        #expect(report.fencePosition == .notNeeded)
        // Without a fence there is nothing to skip.
        let (all, unfenced) = try Self.open(directory.path, fence: .none, position: position)
        #expect(all.count == 200)
        #expect(unfenced.fencePosition == .notGiven)
    }

    @Test("random positions never change what is handed over")
    func randomPositions() throws {
        let directory = TemporaryDirectory()
        let written = try Self.write(directory.path, count: 120, segmentTargetBytes: 2048)
        var generator = SeededGenerator(seed: 0x5eed_f00d)
        var used = 0
        for _ in 0..<150 {
            let fenceIndex = Int.random(in: 0..<written.count, using: &generator)
            let fence = written[fenceIndex].commit
            // Mostly a record close below the fence: in its segment or the one before.
            let real = written[Int.random(in: max(0, fenceIndex - 12)...fenceIndex, using: &generator)].position
            let position: LogPosition
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: position = real
            case 1: position = LogPosition(segment: real.segment, offset: UInt64.random(in: 0..<3000, using: &generator), lsn: real.lsn)
            case 2: position = LogPosition(segment: real.segment, offset: real.offset, lsn: LSN(UInt64.random(in: 1...fence.rawValue + 3, using: &generator)))
            default: position = LogPosition(segment: SegmentID(UInt64.random(in: 1...40, using: &generator)), offset: real.offset, lsn: real.lsn)
            }
            let (notes, report) = try Self.open(directory.path, fence: fence, position: position, segmentTargetBytes: 2048)
            #expect(notes == (try Self.replayed(directory.path, fence: fence)), "fence \(fence), \(position)")
            if case .used = report.fencePosition { used += 1 }
        }
        #expect(used > 10)
    }

    @Test("after an open from a position, appending resumes and the next open finds every note")
    func appendAfterPosition() throws {
        let directory = TemporaryDirectory()
        let written = try Self.write(directory.path, count: 100)
        var options = WALOptions.test()
        options.replayReadsAhead = true
        let (wal, notes, report) = try WAL<Note>.open(
            directory: directory.path, options: options, fence: written[50].commit, fencePosition: written[50].position)
        #expect(notes.count == 49)
        guard case .used = report.fencePosition else {
            Issue.record("\(report.fencePosition)")
            return
        }
        #expect(try wal.commit([Note(999, "after")])?.commitLSN == LSN(written[99].commit.rawValue + 3))
        try wal.close()
        let (again, all, _) = try openNotes(directory.path)
        try again.close()
        #expect(all.count == 101)
        #expect(all.last == Note(999, "after"))
    }

    @Test("damage before the position is covered, as in a skipped segment; damage after it still refuses")
    func damageAroundThePosition() throws {
        let directory = TemporaryDirectory()
        let written = try Self.write(directory.path, count: 100)
        let (fence, position) = written[60]
        let segment = SegmentFiles.segmentPath(directory.path, position.segment.rawValue)
        let records = try SegmentFiles.records(of: segment)
        let before = try #require(records.first { $0.frame.lsn == written[30].commit })
        let after = try #require(records.first { $0.frame.lsn == written[80].commit })
        try SegmentFiles.flipBit(1, atByte: before.offset + RecordFrame.headerSize, of: segment)
        let (notes, report) = try Self.open(directory.path, fence: fence, position: position)
        #expect(notes.count == 39)
        #expect(report.damage == nil)
        // Without the position the segment is read from its start, and the damage refuses.
        expectWALError(.corruption) { _ = try Self.open(directory.path, fence: fence, position: nil) }
        try SegmentFiles.flipBit(1, atByte: before.offset + RecordFrame.headerSize, of: segment)
        try SegmentFiles.flipBit(1, atByte: after.offset + RecordFrame.headerSize - 1, of: segment)
        expectWALError(.corruption) { _ = try Self.open(directory.path, fence: fence, position: position) }
    }

    @Test("crash after crash: a torn tail after the position, a log cut below it, the same position each time")
    func crashSequence() throws {
        let directory = TemporaryDirectory()
        let written = try Self.write(directory.path, count: 50)
        let (fence, position) = written[49]
        let segment = SegmentFiles.segmentPath(directory.path, position.segment.rawValue)
        // A crash mid-write after the snapshot's record: torn bytes follow it.
        try SegmentFiles.writeAfterRecords([0x55, 0, 0, 0, 9, 9, 9], in: segment)
        var (notes, report) = try Self.open(directory.path, fence: fence, position: position)
        #expect(notes.isEmpty)
        #expect(report.tornTail != nil)
        #expect(report.fencePosition != .notGiven)
        // Commits after it, then another torn write, then the same position again.
        let more = try Self.write(directory.path, count: 20, startingAt: 50)
        try SegmentFiles.writeAfterRecords([0x55, 0, 0, 0, 9, 9, 9], in: segment)
        (notes, report) = try Self.open(directory.path, fence: fence, position: position)
        #expect(notes.map(\.tag) == (50..<70).map { UInt16($0) })
        #expect(report.fencePosition == .used(skippedBytes: position.offset + UInt64(try Self.frameSize(at: position, in: directory.path)) - UInt64(SegmentHeader.size)))
        #expect(report.tornTail != nil)
        // The log loses everything from the tenth commit on (a bad disk, an
        // operator's cut): the position now lies past its end, is ignored,
        // and the log continues above the fence.
        let cut = try #require(try SegmentFiles.records(of: segment).first { $0.frame.lsn == LSN(written[9].commit.rawValue + 1) })
        try SegmentFiles.write(Array(try SegmentFiles.read(segment).prefix(cut.offset)), to: segment)
        (notes, report) = try Self.open(directory.path, fence: more.last!.commit, position: more.last!.position)
        #expect(notes.isEmpty)
        guard case .ignored = report.fencePosition else {
            Issue.record("\(report.fencePosition)")
            return
        }
        #expect(report.continuedAboveFence != nil)
        let (wal, after, _) = try openNotes(directory.path, fence: more.last!.commit)
        #expect(after.isEmpty)
        #expect(try wal.commit([Note(7, "above")])!.commitLSN > more.last!.commit)
        try wal.close()
        let (last, notesAbove, _) = try openNotes(directory.path, fence: more.last!.commit)
        try last.close()
        #expect(notesAbove == [Note(7, "above")])
    }
}
