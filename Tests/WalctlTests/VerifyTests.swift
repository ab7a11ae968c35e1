import Foundation
import GraphStore
import Testing
import WriteAheadLog
import WALTestSupport

@Suite("walctl verify")
struct VerifyTests {
    @Test("exits 0 for a clean log with sealed segments")
    func clean() throws {
        let directory = TemporaryDirectory("verify-clean")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 40, segmentTargetBytes: 1024)
        let result = try Walctl.run("verify", directory.path)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.lines.first == "\(directory.path): clean")
        #expect(result.stdout.contains("highest valid LSN 120"))
    }

    @Test("exits 0 for a log written to preallocated segments: the zero tail is unused space")
    func preallocatedClean() throws {
        let directory = TemporaryDirectory("verify-prealloc")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 10, segmentTargetBytes: 1 << 20, writeMode: .mappedSegments)
        let segment = directory.child("0000000001.wal")
        #expect(try LogFixture.size(of: segment) >= 1 << 20)
        let result = try Walctl.run("verify", directory.path)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test("notes a superseded/ folder left when the log continued above a newer snapshot, and exits 0")
    func superseded() throws {
        let directory = TemporaryDirectory("verify-superseded")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 4)
        // A snapshot newer than the log: the log continues above it.
        let (wal, _, report) = try WAL<MutationEvent>.open(directory: directory.path, options: WALOptions(syncMode: .none), fence: LSN(1000))
        try wal.close()
        #expect(report.continuedAboveFence?.fence == LSN(1000))
        let result = try Walctl.run("verify", directory.path)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("superseded"), "\(result.stdout)")
    }

    @Test("exits 1 for a torn tail only, naming the file and offset")
    func tornTail() throws {
        let directory = TemporaryDirectory("verify-torn")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 4)
        let segment = directory.child("0000000001.wal")
        let validEnd = try LogFixture.size(of: segment)
        try LogFixture.appendGarbage(toLastSegmentIn: directory.path)
        let result = try Walctl.run("verify", directory.path)
        #expect(result.status == 1)
        #expect(result.stdout.contains("  torn-tail: \(segment) offset \(validEnd) LSN 12: 37 bytes after the last valid record"))
    }

    @Test("exits 2 for a flipped byte mid-log, naming file, offset and LSN")
    func flippedByte() throws {
        let directory = TemporaryDirectory("verify-flip")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 6)
        let records = try LogFixture.records(in: directory.path)
        let victim = records[4]  // the batch of the second transaction, in the active segment
        try LogFixture.flipByte(in: victim.location.path, at: victim.location.offset + UInt64(victim.size / 2))

        let result = try Walctl.run("verify", directory.path, "--json")
        #expect(result.status == 2)
        let json = try result.json()
        #expect(json["verdict"] as? String == "damaged")
        let findings = try #require(json["findings"] as? [[String: Any]])
        let error = try #require(findings.first { $0["severity"] as? String == "error" })
        #expect(error["code"] as? String == "corruption")
        #expect(error["path"] as? String == victim.location.path)
        #expect(error["offset"] as? Int == Int(victim.location.offset))
        #expect(error["lsn"] as? Int == 4)  // the last good record
        #expect((error["message"] as? String)?.contains("checksum mismatch") == true)
        let prefix = try #require(findings.first { $0["code"] as? String == "valid-prefix" })
        #expect(prefix["offset"] as? Int == Int(victim.location.offset))
    }

    @Test("exits 2 for a damaged sealed segment and says what salvage would set aside")
    func damagedSealedSegment() throws {
        let directory = TemporaryDirectory("verify-sealed")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 40, segmentTargetBytes: 1024)
        let segments = try directory.segmentNames()
        let first = directory.child("0000000001.wal")
        let victim = try #require(try LogFixture.records(in: directory.path).first { $0.location.segment == SegmentID(1) && $0.kind == .mutationBatch })
        try LogFixture.flipByte(in: first, at: victim.location.offset + 30)

        let result = try Walctl.run("verify", directory.path)
        #expect(result.status == 2)
        #expect(result.stdout.contains("error corruption: \(first) offset \(victim.location.offset)"))
        #expect(result.stdout.contains("0000000001.wal (its valid prefix stays), " + segments.dropFirst().joined(separator: ", ")))
    }

    @Test("exits 2 when a segment is missing from the middle of the log")
    func missingSegment() throws {
        let directory = TemporaryDirectory("verify-missing")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 40, segmentTargetBytes: 1024)
        #expect(try directory.segmentNames().count >= 4)
        try FileManager.default.removeItem(atPath: directory.child("0000000002.wal"))
        let result = try Walctl.run("verify", directory.path)
        #expect(result.status == 2)
        #expect(result.stdout.contains("error missing-segment: \(directory.child("0000000003.wal"))"))
    }

    @Test("exits 2 for a structural lie: a commit whose begin is missing")
    func structural() throws {
        let directory = TemporaryDirectory("verify-structural")
        try StructuralFixture.writeOrphanCommit(in: directory.path)
        let result = try Walctl.run("verify", directory.path)
        #expect(result.status == 2)
        #expect(result.stdout.contains("error structural:"))
        #expect(result.stdout.contains("no open begin"))
    }
}
