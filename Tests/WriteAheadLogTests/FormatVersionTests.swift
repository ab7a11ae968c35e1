import Foundation
import Testing
import WALTestSupport

@testable import WriteAheadLog

@Suite("Segment format versions")
struct FormatVersionTests {
    @Test("a log of format 1 (commits without a time) opens, replays, seals its last segment, takes new commits in format 2, and replays all of them after a restart")
    func readsFormatOne() throws {
        let temporary = TemporaryDirectory()
        var sealed = SegmentBuilder(baseLSN: 1, sealed: true, version: 1)
        try sealed.transaction(at: 1, [Note(1, "one")])
        try sealed.transaction(at: 4, [Note(2, "two")])
        try sealed.write(to: temporary.path, id: 1)
        var active = SegmentBuilder(baseLSN: 7, version: 1)
        try active.transaction(at: 7, [Note(3, "three")])
        try active.write(to: temporary.path, id: 2)

        let options = WALOptions(syncMode: .none, writeMode: .writeCalls)
        let (wal, events, _) = try WAL<Note>.open(directory: temporary.path, options: options)
        #expect(events == [Note(1, "one"), Note(2, "two"), Note(3, "three")])
        try wal.commit([Note(4, "four")])
        try wal.close()

        let (reopened, again, _) = try WAL<Note>.open(directory: temporary.path, options: options)
        try reopened.close()
        #expect(again == [Note(1, "one"), Note(2, "two"), Note(3, "three"), Note(4, "four")])
        // The old commits carry no time, the new one does.
        var payloads: [Int] = []
        _ = try WALInspector.scan(directory: temporary.path) { record in
            if record.kind == .txCommit { payloads.append(record.payload.count) }
        }
        #expect(payloads == [0, 0, 0, CommitTime.payloadSize])

        // The format-1 active segment was sealed before the first new
        // transaction, which went into a segment of format 2: no segment
        // mixes the two, and an older build still reads the old ones.
        let segments = try WAL<Note>.replay(directory: temporary.path) { _ in }.segments
        #expect(segments.map(\.formatVersion) == [1, 1, 2])
        #expect(segments.map(\.isSealed) == [true, true, false])
        #expect(segments.last?.firstLSN == LSN(10))
    }

    @Test("new segments are format 2; a format this build does not know is refused, naming the versions it reads")
    func versions() throws {
        let temporary = TemporaryDirectory()
        let (wal, _, _) = try WAL<Note>.open(directory: temporary.path, options: WALOptions(syncMode: .none))
        try wal.close()
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: temporary.path).first { $0.hasSuffix(".wal") })
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: temporary.path + "/" + segment)))
        let header = try bytes.withUnsafeBytes { try SegmentHeader(parsing: $0) }
        #expect(header.version == 2)

        let future = SegmentHeader(baseLSN: 1, version: 3).bytes
        let error = #expect(throws: WALError.self) { _ = try future.withUnsafeBytes { try SegmentHeader(parsing: $0) } }
        #expect(error?.description.contains("reads versions 1 to 2") == true, "\(String(describing: error))")
    }

    @Test("a commit record with a payload that is neither empty nor a time is refused")
    func oddCommitPayload() throws {
        let temporary = TemporaryDirectory()
        var segment = SegmentBuilder(baseLSN: 1)
        try segment.record(.txBegin, 1, tx: 1)
        try segment.record(.mutationBatch, 2, tx: 1, events: [Note(1, "x")])
        try RecordCodec.append(kind: .txCommit, lsn: 3, txBeginLSN: 1, to: &segment.bytes) { $0 += [1, 2, 3] }
        try segment.write(to: temporary.path, id: 1)
        let error = #expect(throws: WALError.self) { _ = try WAL<Note>.open(directory: temporary.path, options: WALOptions(syncMode: .none)) }
        #expect(error?.description.contains("carries 3 payload bytes") == true, "\(String(describing: error))")
    }
}
