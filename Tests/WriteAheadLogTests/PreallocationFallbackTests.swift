import Foundation
import Testing
import WALTestSupport

@testable import WriteAheadLog

/// File systems that cannot reserve space (no `fallocate`: FUSE, NFS) or
/// have none left: the log writes with write calls instead of refusing.
@Suite("Preallocation that is unsupported or out of space")
struct PreallocationFallbackTests {
    struct Case: CustomStringConvertible, Sendable {
        var description: String
        var first: [ScriptedFileSystem.Preallocation]
        var later: ScriptedFileSystem.Preallocation
    }

    static let cases = [
        Case(description: "unsupported at open and at every rotation", first: [], later: .unsupported),
        Case(description: "no space at open and at every rotation", first: [], later: .noSpace),
        Case(description: "reserved at open, unsupported from the first rotation on", first: [.real], later: .unsupported),
        Case(description: "reserved at open, no space from the first rotation on", first: [.real], later: .noSpace),
    ]

    func notes(_ count: Int) -> [Note] { (0..<count).map { Note(UInt16($0), "note \($0)") } }

    @Test("the log opens, commits, rotates and recovers everything", arguments: cases, [SyncMode.groupSync(interval: .milliseconds(5)), .always])
    func opensCommitsRotates(scenario: Case, syncMode: SyncMode) throws {
        let directory = TemporaryDirectory()
        let fileSystem = ScriptedFileSystem(ScriptedFileSystem.Script(preallocations: scenario.first, laterPreallocations: scenario.later))
        var options = WALOptions.test(syncMode, segmentTargetBytes: 2048)
        options.fileSystem = fileSystem
        let (wal, _, _) = try WAL<Note>.open(directory: directory.path, options: options)
        for note in notes(120) { try wal.commit([note]) }
        #expect(wal.activeSegmentID > SegmentID(2))
        #expect(fileSystem.preallocateCalls > 1)
        try wal.close()
        let (again, events, report) = try openNotes(directory.path, .test(syncMode, segmentTargetBytes: 2048))
        #expect(events == notes(120))
        #expect(report.tornTail == nil)
        try again.close()
    }

    @Test("a transaction larger than the mapping goes on with write calls when more space cannot be reserved", arguments: [ScriptedFileSystem.Preallocation.unsupported, .noSpace])
    func growingTheMapping(later: ScriptedFileSystem.Preallocation) throws {
        let directory = TemporaryDirectory()
        let fileSystem = ScriptedFileSystem(ScriptedFileSystem.Script(preallocations: [.real], laterPreallocations: later))
        var options = WALOptions.test(.groupSync(interval: .milliseconds(5)), segmentTargetBytes: 1 << 20)
        options.fileSystem = fileSystem
        let big = Note(7, String(repeating: "b", count: 3 << 20))
        let (wal, _, _) = try WAL<Note>.open(directory: directory.path, options: options)
        try wal.commit([Note(1, "small")])
        try wal.commit([big])
        try wal.commit([Note(2, "after the big one")])
        #expect(wal.failure == nil)
        try wal.close()
        let (again, events, _) = try openNotes(directory.path)
        #expect(events == [Note(1, "small"), big, Note(2, "after the big one")])
        try again.close()
    }
}
