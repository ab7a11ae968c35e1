import Foundation
import Testing
import WALTestSupport

@testable import WriteAheadLog

/// A large record torn at the end of the active segment must be recognised
/// as a torn tail with work linear in the bytes after the tear, whatever
/// its payload looks like.
@Suite("Torn records of any size")
struct TornRecordTests {
    /// How a crash left the last record.
    enum Shape: String, CaseIterable, CustomStringConvertible {
        /// A preallocated segment: the record's last page reads back as zeros, and so does the rest.
        case lastPageZero
        /// Written with write calls: the file ends inside the record.
        case fileEndsInside

        var description: String { rawValue }
    }

    static let small: [[UInt8]] = [[1, 2, 3], [4, 5, 6, 7], [8]]

    /// Little-endian small integers, as real binary events hold: many of
    /// their byte offsets read as a plausible record length.
    static func integerPayload(_ size: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size + 4)
        var index: UInt32 = 0
        while bytes.count < size {
            bytes.appendLittleEndian(25 + (index &* 7919) % 60_000)
            index += 1
        }
        return Array(bytes.prefix(size))
    }

    /// Records 1...9 are the small transactions, 10 is the big one's begin;
    /// every 25 bytes this payload claims to be record 11, running to the
    /// end of the payload, with a wrong checksum.
    static func fakeHeaderPayload(_ size: Int) -> [UInt8] {
        var payload: [UInt8] = []
        while payload.count + 25 <= size {
            payload.appendLittleEndian(UInt32(size - payload.count))
            payload.append(RecordKind.mutation.rawValue)
            payload.appendLittleEndian(UInt64(11))
            payload.appendLittleEndian(UInt64(10))
            payload.appendLittleEndian(UInt32(0))
        }
        return payload + [UInt8](repeating: 7, count: size - payload.count)
    }

    /// Writes three small transactions and one whose single event is
    /// `payload`, then tears that transaction's batch record as `shape`
    /// says. Returns the torn record's offset and the segment's path.
    func writeTornLog(_ path: String, payload: [UInt8], shape: Shape) throws -> (offset: UInt64, segment: String) {
        var options = WALOptions.test(.none, segmentTargetBytes: 4 << 20)
        options.writeMode = shape == .lastPageZero ? .mappedSegments : .writeCalls
        let (wal, _, _) = try WAL<[UInt8]>.open(directory: path, options: options)
        for event in Self.small { try wal.commit([event]) }
        try wal.commit([payload])
        try wal.close()
        let segment = SegmentFiles.segmentPath(path, 1)
        let records = try SegmentFiles.records(of: segment)
        let batch = records[records.count - 2]
        #expect(batch.frame.kind == .mutationBatch)
        let end = batch.offset + batch.frame.size
        let lastPage = (end - 1) / 4096 * 4096
        #expect(lastPage > batch.offset)
        var bytes = try SegmentFiles.read(segment)
        switch shape {
        case .lastPageZero:
            for index in lastPage..<(records.last.map { $0.offset + $0.frame.size } ?? end) { bytes[index] = 0 }
        case .fileEndsInside:
            bytes = Array(bytes.prefix(lastPage))
        }
        try SegmentFiles.write(bytes, to: segment)
        return (UInt64(batch.offset), segment)
    }

    /// Replays through a file system that counts what is read, failing past
    /// a cap linear in the log's size: reading the file a few times over is
    /// fine, reading a record's worth at every byte offset is not.
    func replayCountingReads(_ path: String, segment: String) throws -> (ReplayReport, [[UInt8]], UInt64) {
        let fileBytes = try LogFixtureSize.of(segment)
        let fileSystem = ScriptedFileSystem(ScriptedFileSystem.Script(bytesReadCap: 8 * fileBytes + (8 << 20)))
        var events: [[UInt8]] = []
        let report = try WAL<[UInt8]>.replay(directory: path, fileSystem: fileSystem) { events += $0.events }
        return (report, events, fileSystem.bytesRead)
    }

    @Test("a torn 1 MiB record is a torn tail, found reading the log a bounded number of times", arguments: Shape.allCases)
    func tornMebibyteRecord(shape: Shape) throws {
        let directory = TemporaryDirectory()
        let (offset, segment) = try writeTornLog(directory.path, payload: Self.integerPayload(1 << 20), shape: shape)
        let (report, events, _) = try replayCountingReads(directory.path, segment: segment)
        #expect(events == Self.small)
        #expect(report.tornTail?.offset == offset)
        // Strict open cuts it and keeps everything before it.
        let (wal, recovered, openReport) = try WAL<[UInt8]>.open(directory: directory.path, options: .test())
        #expect(recovered == Self.small)
        #expect(openReport.tornTail?.offset == offset)
        try wal.commit([[42]])
        try wal.close()
        let (again, all, _) = try WAL<[UInt8]>.open(directory: directory.path, options: .test())
        #expect(all == Self.small + [[42]])
        try again.close()
    }

    @Test(
        "torn records from 16 KiB to 3 MiB are torn tails, with bounded reads",
        arguments: [16 << 10, 200 << 10, 1 << 20, 3 << 20 + 123], Shape.allCases)
    func sizeSweep(size: Int, shape: Shape) throws {
        let directory = TemporaryDirectory()
        let (offset, segment) = try writeTornLog(directory.path, payload: Self.integerPayload(size), shape: shape)
        let (report, events, _) = try replayCountingReads(directory.path, segment: segment)
        #expect(events == Self.small)
        #expect(report.tornTail?.offset == offset)
    }

    @Test("a payload of fake plausible record headers ends within the budget and is never cut silently")
    func fakeHeaders() throws {
        let directory = TemporaryDirectory()
        let (offset, segment) = try writeTornLog(directory.path, payload: Self.fakeHeaderPayload(1 << 20), shape: .lastPageZero)
        let fileBytes = try LogFixtureSize.of(segment)
        let fileSystem = ScriptedFileSystem(ScriptedFileSystem.Script(bytesReadCap: 8 * fileBytes + (8 << 20)))
        // Checking every fake candidate would checksum far more than the
        // budget allows, so the tear cannot be told from damage: strict
        // replay and open refuse rather than cut what they could not rule out.
        let error = expectWALError(.corruption) {
            _ = try WAL<[UInt8]>.replay(directory: directory.path, fileSystem: fileSystem) { _ in }
        }
        #expect(error?.offset == offset)
        #expect(error?.path == segment)
        #expect(error?.message.contains("valid records could not be ruled out") == true, "\(String(describing: error))")
        var options = WALOptions.test()
        options.fileSystem = ScriptedFileSystem(ScriptedFileSystem.Script(bytesReadCap: 8 * fileBytes + (8 << 20)))
        let refused = expectWALError(.corruption) { _ = try WAL<[UInt8]>.open(directory: directory.path, options: options) }
        #expect(refused?.offset == offset)
        // Salvage treats it as damage: it keeps the prefix and says where it stopped.
        let salvaging = ScriptedFileSystem(ScriptedFileSystem.Script(bytesReadCap: 8 * fileBytes + (8 << 20)))
        var events: [[UInt8]] = []
        let report = try WAL<[UInt8]>.replay(directory: directory.path, recoveryMode: .salvage, fileSystem: salvaging) {
            events += $0.events
        }
        #expect(events == Self.small)
        #expect(report.damage?.offset == offset)
    }

    /// The look-ahead over the torn log's segment, from the torn record.
    func lookAhead(_ path: String, segment: String, offset: UInt64) throws -> LookAhead {
        let file = try PosixFileSystem().openFile(segment, mode: .readOnly)
        // Records 1...9 are the small transactions, 10 the big one's begin.
        return try SegmentScanner.lookAhead(
            in: file, fileSize: try file.size(), after: offset, lastLSN: LSN(10), baseLSN: LSN(1))
    }

    @Test("the look-ahead past a torn record of integers checksums next to nothing", arguments: Shape.allCases)
    func lookAheadWork(shape: Shape) throws {
        let directory = TemporaryDirectory()
        let (offset, segment) = try writeTornLog(directory.path, payload: Self.integerPayload(1 << 20), shape: shape)
        let result = try lookAhead(directory.path, segment: segment, offset: offset)
        #expect(result.outcome == .nothingValid)
        #expect(result.bytesChecksummed < 64 << 10)
        #expect(result.budget == SegmentScanner.lookAheadBudget(span: try LogFixtureSize.of(segment) - offset))
    }

    @Test("the look-ahead past fake plausible headers stops at its budget, undecided")
    func lookAheadBudget() throws {
        let directory = TemporaryDirectory()
        let (offset, segment) = try writeTornLog(directory.path, payload: Self.fakeHeaderPayload(1 << 20), shape: .lastPageZero)
        let result = try lookAhead(directory.path, segment: segment, offset: offset)
        guard case .undecided = result.outcome else {
            Issue.record("expected no decision, got \(result.outcome)")
            return
        }
        #expect(result.bytesChecksummed <= result.budget)
    }

    @Test("the look-ahead finds the valid record after damage mid-segment, checksumming little")
    func lookAheadFindsValidRecord() throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try WAL<[UInt8]>.open(directory: directory.path, options: .test())
        for index in 0..<20 { try wal.commit([[UInt8(index), 1, 2, 3]]) }
        try wal.close()
        let segment = SegmentFiles.segmentPath(directory.path, 1)
        let records = try SegmentFiles.records(of: segment)
        let victim = records[7]
        try SegmentFiles.flipBit(0, atByte: victim.offset + RecordFrame.headerSize + 1, of: segment)
        let file = try PosixFileSystem().openFile(segment, mode: .readOnly)
        let result = try SegmentScanner.lookAhead(
            in: file, fileSize: try file.size(), after: UInt64(victim.offset), lastLSN: records[6].frame.lsn, baseLSN: LSN(1))
        #expect(result.outcome == .validRecord(at: UInt64(records[8].offset)))
        #expect(result.bytesChecksummed == UInt64(records[8].frame.size))
    }
}

/// File sizes for the tests.
enum LogFixtureSize {
    static func of(_ path: String) throws -> UInt64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.size] as? NSNumber)?.uint64Value ?? 0
    }
}
