import Foundation
import Testing
import WALTestSupport

@testable import WriteAheadLog

/// `open` does not read sealed segments whose every record is at or below
/// its fence: the snapshot holds them. What it replays, where appending
/// resumes and what the next open finds are as if it had read them.
@Suite("Segments covered by the fence")
struct CoveredSegmentTests {
    /// 400 one-note transactions in segments of about 4 KiB; returns each
    /// transaction's commit LSN and the segment files in id order.
    static func writeManySegments(_ directory: String) throws -> (commits: [LSN], segments: [String]) {
        let wal = try WAL<Note>.open(directory: directory, options: .test(segmentTargetBytes: 4096)).wal
        var commits: [LSN] = []
        for index in 0..<400 {
            commits.append(try #require(try wal.commit([Note(UInt16(index), String(repeating: "n", count: 40))])).commitLSN)
        }
        try wal.close()
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".wal") }.sorted()
        return (commits, names.map { directory + "/" + $0 })
    }

    /// The notes `WAL.replay` (which reads every segment) hands over above `fence`.
    static func replayed(_ directory: String, fence: LSN) throws -> [Note] {
        var notes: [Note] = []
        _ = try WAL<Note>.replay(directory: directory, fence: fence) { notes += $0.events }
        return notes
    }

    @Test("open skips the covered segments and hands over exactly what a full read does, at several fences")
    func sameTransactions() throws {
        let directory = TemporaryDirectory()
        let (commits, segments) = try Self.writeManySegments(directory.path)
        #expect(segments.count > 8)
        for fence in [commits[10], commits[150], commits[298], commits[399]] {
            let expected = try Self.replayed(directory.path, fence: fence)
            let (wal, notes, report) = try openNotes(directory.path, .test(segmentTargetBytes: 4096), fence: fence)
            try wal.close()
            #expect(notes == expected)
            #expect(report.transactionsReplayed == expected.count)
            // Every sealed segment whose successor starts at or below fence + 1 is skipped.
            let skippable = try (0..<(segments.count - 1)).filter { index in
                try SegmentDirectory(root: directory.path, fileSystem: PosixFileSystem()).baseLSN(of: SegmentID(UInt64(index + 1) + 1)).rawValue - 1
                    <= fence.rawValue
            }.count
            #expect(report.segmentsSkippedBelowFence == skippable)
            #expect(report.segments.filter(\.skippedBelowFence).count == skippable)
            if fence >= commits[150] { #expect(skippable > 3) }
            #expect(report.maxLSN == commits[399])
        }
    }

    @Test("after an open that skipped segments, appending resumes and the next open finds every note")
    func appendAfterSkipping() throws {
        let directory = TemporaryDirectory()
        let (commits, _) = try Self.writeManySegments(directory.path)
        let (wal, _, report) = try openNotes(directory.path, .test(segmentTargetBytes: 4096), fence: commits[200])
        #expect(report.segmentsSkippedBelowFence > 0)
        let next = try #require(try wal.commit([Note(999, "after")])).commitLSN
        #expect(next > commits[399])
        try wal.close()
        let (again, notes, _) = try openNotes(directory.path, .test(segmentTargetBytes: 4096))
        try again.close()
        #expect(notes.count == 401)
        #expect(notes.last == Note(999, "after"))
    }

    @Test("damage in a covered segment does not stop a strict open; tools reading every record still report it")
    func damageBelowTheFence() throws {
        let directory = TemporaryDirectory()
        let (commits, segments) = try Self.writeManySegments(directory.path)
        let victim = segments[1]
        let record = try #require(try SegmentFiles.records(of: victim).dropFirst().first)
        try SegmentFiles.flipBit(2, atByte: record.offset + RecordFrame.headerSize, of: victim)
        let fence = commits[300]
        let (wal, notes, report) = try openNotes(directory.path, .test(segmentTargetBytes: 4096), fence: fence)
        try wal.close()
        #expect(notes.count == 99)
        #expect(notes.first == Note(301, String(repeating: "n", count: 40)))
        #expect(report.damage == nil)
        expectWALError(.corruption) { _ = try Self.replayed(directory.path, fence: fence) }
        // Without a fence that covers it, the damage refuses the open as ever.
        expectWALError(.corruption) { _ = try openNotes(directory.path, .test(segmentTargetBytes: 4096)) }
    }

    @Test("damage in the segment that holds the fence still refuses a strict open")
    func damageAtTheFence() throws {
        let directory = TemporaryDirectory()
        let (commits, segments) = try Self.writeManySegments(directory.path)
        let fence = commits[300]
        // The segment that holds the fence: the last one whose base is at or below it.
        let segmentDirectory = SegmentDirectory(root: directory.path, fileSystem: PosixFileSystem())
        let holder = try #require(
            try (0..<segments.count).last { try segmentDirectory.baseLSN(of: SegmentID(UInt64($0) + 1)) <= fence })
        let record = try #require(try SegmentFiles.records(of: segments[holder]).last)
        try SegmentFiles.flipBit(2, atByte: record.offset + RecordFrame.headerSize, of: segments[holder])
        expectWALError(.corruption) { _ = try openNotes(directory.path, .test(segmentTargetBytes: 4096), fence: fence) }
    }
}

/// The replayer's side of skipping: records of a transaction whose begin
/// lay in a skipped segment. The writer never leaves one open across a
/// rotation, so these are hand-made frames.
@Suite("Records whose begin was skipped")
struct CoveredRemnantTests {
    static func frame(_ kind: RecordKind, lsn: UInt64, transaction: UInt64) -> RecordFrame {
        RecordFrame(
            kind: kind, lsn: LSN(lsn), txBeginLSN: LSN(transaction), payloadOffset: 0,
            payloadCount: kind == .mutation ? 1 : 0, size: RecordFrame.minimumSize)
    }

    static func visit(_ replayer: inout Replayer, _ frame: RecordFrame) throws {
        let payload: [UInt8] = [7]
        try payload.withUnsafeBytes { bytes in
            try replayer.visit(frame, bytes) { _, _, _ in Issue.record("nothing is delivered") }
        }
    }

    @Test("at or below the fence they are ignored, the commit counted as covered")
    func ignoredBelowTheFence() throws {
        var replayer = Replayer(fence: LSN(10), skipsCoveredSegments: true)
        try Self.visit(&replayer, Self.frame(.mutation, lsn: 8, transaction: 5))
        try Self.visit(&replayer, Self.frame(.txCommit, lsn: 9, transaction: 5))
        try Self.visit(&replayer, Self.frame(.txAbort, lsn: 10, transaction: 6))
        var report = ReplayReport()
        replayer.finish(report: &report)
        #expect(report.transactionsBelowFence == 1)
        #expect(report.transactionsAborted == 1)
        #expect(report.transactionsIncomplete == 0)
    }

    @Test("a commit above the fence is refused as straddling it")
    func straddling() {
        var replayer = Replayer(fence: LSN(10), skipsCoveredSegments: true)
        let error = expectWALError(.structural) { try Self.visit(&replayer, Self.frame(.txCommit, lsn: 12, transaction: 5)) }
        #expect(error?.message.contains("straddles the checkpoint fence 10") == true)
    }

    @Test("without skipping, or for a transaction above the fence, a missing begin is still an error")
    func missingBegin() {
        var notSkipping = Replayer(fence: LSN(10))
        expectWALError(.structural) { try Self.visit(&notSkipping, Self.frame(.mutation, lsn: 8, transaction: 5)) }
        var skipping = Replayer(fence: LSN(10), skipsCoveredSegments: true)
        expectWALError(.structural) { try Self.visit(&skipping, Self.frame(.txCommit, lsn: 13, transaction: 11)) }
    }
}
