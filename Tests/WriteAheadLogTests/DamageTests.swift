import Foundation
import Testing
import WALTestSupport

@testable import WriteAheadLog

@Suite("Torn tails, corruption and structural lies")
struct DamageTests {
    /// Writes `count` one-note transactions and closes.
    func writeLog(_ path: String, count: Int, options: WALOptions = .test()) throws {
        let (wal, _, _) = try openNotes(path, options)
        for index in 0..<count { try wal.commit([Note(UInt16(index), "note \(index)")]) }
        try wal.close()
    }

    func notes(_ count: Int) -> [Note] { (0..<count).map { Note(UInt16($0), "note \($0)") } }

    @Test("garbage after the last record is cut, appends continue, and a reopen sees old and new")
    func garbageTail() throws {
        let directory = TemporaryDirectory()
        try writeLog(directory.path, count: 3)
        let segment = SegmentFiles.segmentPath(directory.path, 1)
        let cleanSize = try SegmentFiles.endOfRecords(segment)
        try SegmentFiles.writeAfterRecords([0x55, 0x00, 0x00, 0x00, 0x02, 0xFF, 0xEE], in: segment)
        let (wal, events, report) = try openNotes(directory.path)
        #expect(events == notes(3))
        #expect(report.tornTail?.offset == UInt64(cleanSize))
        // The garbage is gone: only zeros (preallocated space) follow the records.
        #expect(try SegmentFiles.read(segment)[cleanSize...].allSatisfy { $0 == 0 })
        try wal.commit([Note(100, "after repair")])
        try wal.close()
        let (again, all, secondReport) = try openNotes(directory.path)
        #expect(all == notes(3) + [Note(100, "after repair")])
        #expect(secondReport.tornTail == nil)
        try again.close()
    }

    @Test("a zero tail in the active segment is unused preallocated space, not damage", arguments: WriteMode.allCases)
    func zeroTail(mode: WriteMode) throws {
        let directory = TemporaryDirectory()
        var options = WALOptions.test()
        options.writeMode = mode
        try writeLog(directory.path, count: 2, options: options)
        let segment = SegmentFiles.segmentPath(directory.path, 1)
        let used = try SegmentFiles.records(of: segment, stoppingAtZeros: true).last.map { $0.offset + $0.frame.size } ?? 0
        try SegmentFiles.append([UInt8](repeating: 0, count: 4096), to: segment)
        let (wal, events, report) = try openNotes(directory.path, options)
        #expect(events == notes(2))
        #expect(report.tornTail == nil)
        #expect(report.segments.last?.validBytes == UInt64(used))
        try wal.commit([Note(9, "after the zeros")])
        try wal.close()
        let (again, all, _) = try openNotes(directory.path, options)
        #expect(all == notes(2) + [Note(9, "after the zeros")])
        try again.close()
    }

    @Test("a torn record followed by preallocated zeros is a torn tail")
    func tornRecordBeforeZeros() throws {
        let directory = TemporaryDirectory()
        try writeLog(directory.path, count: 3)
        let segment = SegmentFiles.segmentPath(directory.path, 1)
        let records = try SegmentFiles.records(of: segment, stoppingAtZeros: true)
        var bytes = try SegmentFiles.read(segment)
        let last = try #require(records.last)
        // Zero the second half of the last commit record, as a partly flushed page would.
        for index in (last.offset + 10)..<(last.offset + last.frame.size) { bytes[index] = 0 }
        try SegmentFiles.write(bytes, to: segment)
        let (wal, events, report) = try openNotes(directory.path)
        #expect(events == notes(2))
        #expect(report.tornTail?.offset == UInt64(last.offset))
        try wal.close()
    }

    @Test("a half-written last transaction is dropped whole")
    func halfWrittenTransaction() throws {
        let directory = TemporaryDirectory()
        try writeLog(directory.path, count: 3)
        let segment = SegmentFiles.segmentPath(directory.path, 1)
        let records = try SegmentFiles.records(of: segment)
        // Cut in the middle of the last commit record (the file ends there, no preallocation).
        let lastCommit = try #require(records.last)
        try SegmentFiles.write(Array(try SegmentFiles.read(segment).prefix(lastCommit.offset + 7)), to: segment)
        let (wal, events, report) = try openNotes(directory.path)
        #expect(events == notes(2))
        #expect(report.transactionsIncomplete == 1)
        #expect(wal.nextLSN == LSN(9))
        try wal.close()
    }

    @Test("a flipped bit in a middle record with valid records after it is refused in strict mode")
    func midLogStrict() throws {
        let directory = TemporaryDirectory()
        try writeLog(directory.path, count: 5)
        let segment = SegmentFiles.segmentPath(directory.path, 1)
        let records = try SegmentFiles.records(of: segment)
        let victim = records[4]  // the batch of the second transaction
        try SegmentFiles.flipBit(3, atByte: victim.offset + RecordFrame.headerSize + 2, of: segment)
        let before = try SegmentFiles.read(segment)
        let error = expectWALError(.corruption) { _ = try openNotes(directory.path) }
        #expect(error?.path == segment)
        #expect(error?.offset == UInt64(victim.offset))
        #expect(error?.lsn == LSN(4))
        #expect(error?.message.contains("not a torn tail") == true)
        // Strict mode changed nothing on disk and released the lock.
        #expect(try SegmentFiles.read(segment) == before)
        #expect(!WALInspector.isLocked(directory: directory.path))
    }

    @Test("salvage mode keeps the valid prefix, sets the damage aside in quarantine/ and reports it")
    func midLogSalvage() throws {
        let directory = TemporaryDirectory()
        try writeLog(directory.path, count: 5)
        let segment = SegmentFiles.segmentPath(directory.path, 1)
        let records = try SegmentFiles.records(of: segment)
        let victim = records[4]
        try SegmentFiles.flipBit(3, atByte: victim.offset + RecordFrame.headerSize + 2, of: segment)
        let damaged = try SegmentFiles.read(segment)
        let (wal, events, report) = try openNotes(directory.path, .test(recoveryMode: .salvage))
        #expect(events == notes(1))
        #expect(report.damage?.offset == UInt64(victim.offset))
        #expect(report.damage?.lastGoodLSN == LSN(4))
        let quarantined = try #require(report.quarantined.first)
        #expect(quarantined.keptValidPrefix)
        // The whole damaged original is kept; the live segment is cut to its valid prefix.
        #expect(try SegmentFiles.read(quarantined.quarantined) == damaged)
        #expect(try SegmentFiles.endOfRecords(segment) == victim.offset)
        #expect(try SegmentFiles.read(segment)[victim.offset...].allSatisfy { $0 == 0 })
        try wal.commit([Note(7, "after salvage")])
        try wal.close()
        let (again, all, _) = try openNotes(directory.path)
        #expect(all == notes(1) + [Note(7, "after salvage")])
        try again.close()
    }

    @Test("a damaged sealed segment is refused in strict mode; salvage moves it and every later segment aside")
    func damagedSealedSegment() throws {
        let directory = TemporaryDirectory()
        let options = WALOptions.test(segmentTargetBytes: 150)
        try writeLog(directory.path, count: 12, options: options)
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { SegmentID(fileName: $0) != nil }
        #expect(segments.count >= 4)
        let second = SegmentFiles.segmentPath(directory.path, 2)
        let records = try SegmentFiles.records(of: second)
        // Damage the last record of sealed segment 2: nothing valid follows
        // inside it, but it is sealed, so it is not a torn tail.
        try SegmentFiles.flipBit(0, atByte: try #require(records.last).offset + 6, of: second)
        let error = expectWALError(.corruption) { _ = try openNotes(directory.path, options) }
        #expect(error?.path == second)
        #expect(error?.message.contains("sealed") == true)

        var salvage = options
        salvage.recoveryMode = .salvage
        let (wal, events, report) = try openNotes(directory.path, salvage)
        let lastGood = try #require(report.damage?.lastGoodLSN)
        #expect(events.count == Int(lastGood.rawValue / 3))
        #expect(report.quarantined.count == segments.count - 1)
        #expect(report.quarantined.filter(\.keptValidPrefix).count == 1)
        for file in report.quarantined { #expect(FileManager.default.fileExists(atPath: file.quarantined)) }
        try wal.commit([Note(1000, "new")])
        try wal.close()
        let (again, all, _) = try openNotes(directory.path, options)
        #expect(all == Array(events) + [Note(1000, "new")])
        try again.close()
    }

    @Test("structural lies are refused with errors naming the LSN", arguments: [
        "commit without begin", "mutation without begin", "duplicate begin", "non-increasing LSN",
        "checkpoint into the future", "regressing checkpoint", "base LSN not increasing",
    ])
    func structuralLies(_ lie: String) throws {
        let directory = TemporaryDirectory()
        var segment = SegmentBuilder(baseLSN: 1)
        try segment.transaction(at: 1, [Note(1, "fine")])
        var expectedLSN: UInt64 = 0
        var second: SegmentBuilder?
        switch lie {
        case "commit without begin":
            try segment.record(.txCommit, 4, tx: 3)
            expectedLSN = 4
        case "mutation without begin":
            try segment.record(.mutation, 4, tx: 2, events: [Note(2, "orphan")])
            expectedLSN = 4
        case "duplicate begin":
            try segment.record(.txBegin, 4, tx: 4)
            try segment.record(.txBegin, 5, tx: 4)
            expectedLSN = 5
        case "non-increasing LSN":
            try segment.record(.txBegin, 3, tx: 3)
            expectedLSN = 3
        case "checkpoint into the future":
            try segment.record(.checkpoint, 4, tx: 9)
            expectedLSN = 4
        case "regressing checkpoint":
            try segment.record(.checkpoint, 4, tx: 3)
            try segment.record(.checkpoint, 5, tx: 2)
            expectedLSN = 5
        default:
            segment = SegmentBuilder(baseLSN: 1, sealed: true)
            try segment.transaction(at: 1, [Note(1, "fine")])
            var next = SegmentBuilder(baseLSN: 3)
            try next.transaction(at: 4, [Note(2, "overlap")])
            second = next
            expectedLSN = 3
        }
        // Valid records follow the lie, so it is never mistaken for a torn tail.
        if second == nil { try segment.transaction(at: 10, [Note(9, "after")]) }
        try segment.write(to: directory.path, id: 1)
        try second?.write(to: directory.path, id: 2)
        let error = expectWALError(.structural) { _ = try openNotes(directory.path) }
        #expect(error?.lsn == LSN(expectedLSN), "\(String(describing: error))")
        #expect(error?.description.contains("LSN") == true)
    }

    @Test("a segment missing from the middle of the log is refused, not skipped")
    func missingSegment() throws {
        let directory = TemporaryDirectory()
        let options = WALOptions.test(segmentTargetBytes: 150)
        try writeLog(directory.path, count: 12, options: options)
        try FileManager.default.removeItem(atPath: SegmentFiles.segmentPath(directory.path, 2))
        let error = expectWALError(.structural) { _ = try openNotes(directory.path, options) }
        #expect(error?.message.contains("segment 2 is missing") == true)
        // Truncation from the front is fine: the log starts at segment 2 then.
        try FileManager.default.removeItem(atPath: SegmentFiles.segmentPath(directory.path, 1))
        let (wal, _, _) = try openNotes(directory.path, options, fence: LSN(1000))
        try wal.close()
    }

    @Test("the writer refuses records for transactions that are not open and checkpoints that lie")
    func writerRefusals() throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.path)
        expectWALError(.invalidArgument) { _ = try wal.append(Note(1, "x"), to: LSN(77)) }
        expectWALError(.invalidArgument) { _ = try wal.commit(transaction: LSN(77)) }
        expectWALError(.invalidArgument) { _ = try wal.abort(LSN(77)) }
        expectWALError(.invalidArgument) { _ = try wal.appendBatch([Note](), to: LSN(77)) }
        let commit = try #require(try wal.commit([Note(1, "x")]))
        expectWALError(.invalidArgument) { _ = try wal.recordCheckpoint(snapshotLSN: LSN(50)) }
        _ = try wal.recordCheckpoint(snapshotLSN: commit.commitLSN)
        expectWALError(.invalidArgument) { _ = try wal.recordCheckpoint(snapshotLSN: commit.beginLSN) }
        try wal.close()
    }

    @Test("errors name the operation, file, offset and LSN in their description")
    func errorDescription() {
        let error = WALError(.io, "write failed", operation: "pwrite", path: "/x/0000000001.wal", offset: 40, lsn: 7, errno: 28)
        #expect(error.description.contains("pwrite"))
        #expect(error.description.contains("/x/0000000001.wal"))
        #expect(error.description.contains("offset 40"))
        #expect(error.description.contains("LSN 7"))
        #expect(error.description.contains("No space left on device"))
    }
}
