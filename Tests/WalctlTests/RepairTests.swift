import Foundation
import GraphStore
import Testing
import WriteAheadLog
import WALTestSupport

@Suite("walctl repair")
struct RepairTests {
    @Test("--dry-run says it would cut the torn tail, and changes nothing")
    func dryRun() throws {
        let directory = TemporaryDirectory("repair-dry")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 3)
        let segment = directory.child("0000000001.wal")
        let validEnd = try LogFixture.size(of: segment)
        try LogFixture.appendGarbage(toLastSegmentIn: directory.path, count: 20)

        let result = try Walctl.run("repair", directory.path, "--dry-run")
        #expect(result.status == 0)
        #expect(result.stdout.contains("would cut the torn tail of \(segment): \(validEnd + 20) -> \(validEnd) bytes, dropping 20 bytes after LSN 9"))
        #expect(result.stdout.contains("dry run: nothing was changed"))
        #expect(try LogFixture.size(of: segment) == validEnd + 20)
    }

    @Test("cuts a torn tail, after which verify is clean")
    func cutsTornTail() throws {
        let directory = TemporaryDirectory("repair-torn")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 3)
        let segment = directory.child("0000000001.wal")
        let validEnd = try LogFixture.size(of: segment)
        try LogFixture.appendGarbage(toLastSegmentIn: directory.path)

        let result = try Walctl.run("repair", directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("cut the torn tail of \(segment)"))
        #expect(result.stdout.contains("nothing was deleted"))
        #expect(try LogFixture.size(of: segment) == validEnd)
        #expect(try Walctl.run("verify", directory.path).status == 0)
    }

    @Test("says so and touches nothing when there is nothing to repair")
    func nothingToDo() throws {
        let directory = TemporaryDirectory("repair-clean")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 2)
        let before = try directory.names()
        let result = try Walctl.run("repair", directory.path)
        #expect(result.status == 0)
        #expect(result.stdout.contains("nothing to repair"))
        #expect(try directory.names() == before)
    }

    @Test("refuses mid-log damage without --salvage, with exit 2 and nothing changed")
    func refusesDamageWithoutSalvage() throws {
        let directory = TemporaryDirectory("repair-refuse")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 6)
        let records = try LogFixture.records(in: directory.path)
        try LogFixture.flipByte(in: records[1].location.path, at: records[1].location.offset + 25)
        let size = try LogFixture.size(of: records[1].location.path)

        let result = try Walctl.run("repair", directory.path)
        #expect(result.status == 2)
        #expect(result.stderr.contains("refusing to repair"))
        #expect(result.stderr.contains("--salvage"))
        #expect(try LogFixture.size(of: records[1].location.path) == size)
        #expect(!FileManager.default.fileExists(atPath: directory.child("quarantine")))
    }

    @Test("--salvage sets a damaged sealed segment and every later one aside, deleting nothing")
    func salvage() throws {
        let directory = TemporaryDirectory("repair-salvage")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 40, segmentTargetBytes: 1024)
        let segments = try directory.segmentNames()
        let records = try LogFixture.records(in: directory.path)
        let victim = try #require(records.first { $0.location.segment == SegmentID(1) && $0.lsn == 5 })
        try LogFixture.flipByte(in: victim.location.path, at: victim.location.offset + 30)

        let dry = try Walctl.run("repair", directory.path, "--salvage", "--dry-run")
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("would copy \(directory.child("0000000001.wal")) to \(directory.child("quarantine/0000000001.wal"))"))
        #expect(dry.stdout.contains("would move \(directory.child("0000000002.wal")) to \(directory.child("quarantine/0000000002.wal"))"))
        #expect(!FileManager.default.fileExists(atPath: directory.child("quarantine")))

        let result = try Walctl.run("repair", directory.path, "--salvage")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("copied \(directory.child("0000000001.wal")) to \(directory.child("quarantine/0000000001.wal"))"))
        #expect(result.stdout.contains("to its valid prefix of \(victim.location.offset) bytes (records up to LSN 4)"))
        #expect(try directory.names("quarantine") == segments)
        #expect(try LogFixture.size(of: directory.child("0000000001.wal")) == victim.location.offset)
        #expect(try Walctl.run("verify", directory.path).status == 0)
    }

    @Test("refuses while a live handle holds the lock, with exit 3 and nothing changed")
    func refusesWhileLocked() throws {
        let directory = TemporaryDirectory("repair-locked")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 3)
        try LogFixture.appendGarbage(toLastSegmentIn: directory.path)
        let size = try LogFixture.size(of: directory.child("0000000001.wal"))
        // Holding the lock in this process: flock conflicts between two
        // opens of the lock file even within one process, and walctl is another.
        let lock = try PosixFileSystem().lockDirectory(directory.path)
        defer { lock.release() }

        for arguments in [["repair", directory.path], ["repair", directory.path, "--dry-run"]] {
            let result = try Walctl.run(arguments)
            #expect(result.status == 3)
            #expect(result.stderr.contains("live process (pid \(getpid())) holds its lock"))
        }
        #expect(try LogFixture.size(of: directory.child("0000000001.wal")) == size)
    }

    @Test("refuses while a WAL handle is open in another process's place")
    func refusesWhileWALOpen() throws {
        let directory = TemporaryDirectory("repair-open")
        let (wal, _, _) = try WAL<MutationEvent>.open(directory: directory.path, options: WALOptions(syncMode: .none))
        defer { try? wal.close() }
        let result = try Walctl.run("repair", directory.path, "--salvage")
        #expect(result.status == 3)
    }

    @Test("moves stale temporary segment files aside instead of letting open delete them")
    func temporaryFiles() throws {
        let directory = TemporaryDirectory("repair-tmp")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 2)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory.child("0000000002.wal.tmp")))
        let result = try Walctl.run("repair", directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("moved the stale temporary file"))
        #expect(try directory.names("quarantine") == ["0000000002.wal.tmp"])
    }

    @Test("refuses a directory with no segments and does not create one")
    func noSegments() throws {
        let directory = TemporaryDirectory("repair-empty")
        let result = try Walctl.run("repair", directory.path)
        #expect(result.status == 66)
        #expect(try directory.names().isEmpty)
    }
}
