import Foundation
import Testing
import WALTestSupport

@testable import WriteAheadLog

@Suite("Rotation and truncation")
struct RotationAndTruncationTests {
    static let small = WALOptions.test(segmentTargetBytes: 200)

    func segments(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).filter { SegmentID(fileName: $0) != nil }.sorted()
    }

    func header(_ path: String, _ id: UInt64) throws -> SegmentHeader {
        try SegmentFiles.read(SegmentFiles.segmentPath(path, id)).withUnsafeBytes { try SegmentHeader(parsing: $0) }
    }

    @Test("rotation happens only at a transaction boundary and seals the old segment")
    func rotationAtBoundary() throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.path, Self.small)
        // A primitive transaction that grows past the target stays in one segment.
        let tx = try wal.begin()
        for index in 0..<20 { _ = try wal.append(Note(UInt16(index), String(repeating: "x", count: 30)), to: tx) }
        try wal.flush()
        #expect(try segments(directory.path) == ["0000000001.wal"])
        _ = try wal.commit(transaction: tx)
        // The next transaction starts the new segment.
        let commit = try #require(try wal.commit([Note(99, "next")]))
        #expect(wal.activeSegmentID == SegmentID(2))
        #expect(try segments(directory.path) == ["0000000001.wal", "0000000002.wal"])
        #expect(try header(directory.path, 1).isSealed)
        #expect(try !header(directory.path, 2).isSealed)
        #expect(try header(directory.path, 2).baseLSN == commit.beginLSN)
        // Every record of segment 1 belongs to the first transaction; segment 2 holds the second whole.
        let first = try SegmentFiles.records(of: SegmentFiles.segmentPath(directory.path, 1))
        #expect(first.allSatisfy { $0.frame.txBeginLSN == tx })
        let second = try SegmentFiles.records(of: SegmentFiles.segmentPath(directory.path, 2))
        #expect(second.map(\.frame.kind) == [.txBegin, .mutationBatch, .txCommit])
        try wal.close()
    }

    @Test("many rotations replay in order, and sealing made the old segments durable")
    func manyRotations() throws {
        let directory = TemporaryDirectory()
        var expected: [Note] = []
        do {
            let (wal, _, _) = try openNotes(directory.path, Self.small)
            for index in 0..<40 {
                let note = Note(UInt16(index), "note \(index) " + String(repeating: "y", count: index))
                try wal.commit([note])
                expected.append(note)
            }
            #expect(wal.activeSegmentID.rawValue > 5)
            // Everything in sealed segments is durable even under .none.
            let sealedEnd = try header(directory.path, wal.activeSegmentID.rawValue).baseLSN.rawValue - 1
            #expect(wal.durableLSN.rawValue >= sealedEnd)
            try wal.close()
        }
        let (wal, events, report) = try openNotes(directory.path, Self.small)
        #expect(events == expected)
        #expect(report.segments.dropLast().allSatisfy { $0.isSealed })
        try wal.close()
    }

    @Test("a sealed last segment (crash before its successor existed) gets a fresh successor on open")
    func sealedLastSegment() throws {
        let directory = TemporaryDirectory()
        do {
            let (wal, _, _) = try openNotes(directory.path)
            try wal.commit([Note(1, "a")])
            try wal.close()
        }
        // Seal segment 1 by hand, as rotation does before creating segment 2.
        try SegmentFiles.sealByHand(SegmentFiles.segmentPath(directory.path, 1), baseLSN: 1)
        let (wal, events, _) = try openNotes(directory.path)
        #expect(events == [Note(1, "a")])
        #expect(wal.activeSegmentID == SegmentID(2))
        try wal.commit([Note(2, "b")])
        try wal.close()
        let (again, all, _) = try openNotes(directory.path)
        #expect(all == [Note(1, "a"), Note(2, "b")])
        #expect(try header(directory.path, 2).baseLSN == LSN(4))
        try again.close()
    }

    @Test("truncation drops only fully fenced sealed segments, keeps the active one and its predecessor, and is idempotent")
    func truncation() throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.path, Self.small)
        for index in 0..<30 { try wal.commit([Note(UInt16(index), String(repeating: "z", count: 60))]) }
        let active = wal.activeSegmentID.rawValue
        #expect(active >= 6)
        // A fence inside segment 3 drops segments 1 and 2 only.
        let base3 = try header(directory.path, 3).baseLSN
        let base4 = try header(directory.path, 4).baseLSN
        #expect(try wal.truncate(upTo: LSN(base4.rawValue - 2)) == [SegmentID(1), SegmentID(2)])
        #expect(wal.oldestSegmentID == SegmentID(3))
        #expect(base3 < base4)
        #expect(try wal.truncate(upTo: LSN(base4.rawValue - 2)).isEmpty)
        // Fencing everything keeps the active segment and the one before it.
        let removed = try wal.truncate(upTo: LSN(wal.nextLSN.rawValue - 1))
        #expect(removed.map(\.rawValue) == Array(3..<(active - 1)))
        #expect(try segments(directory.path) == [SegmentID(active - 1).fileName, SegmentID(active).fileName])
        #expect(try wal.truncate(upTo: LSN(wal.nextLSN.rawValue - 1)).isEmpty)
        try wal.close()
        // The remaining log still opens.
        let fence = LSN(try header(directory.path, active - 1).baseLSN.rawValue - 1)
        let (again, _, _) = try openNotes(directory.path, Self.small, fence: fence)
        #expect(again.oldestSegmentID == SegmentID(active - 1))
        try again.close()
    }
}
