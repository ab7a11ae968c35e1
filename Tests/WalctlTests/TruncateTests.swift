import Foundation
import GraphStore
import Testing
import WriteAheadLog
import WALTestSupport

@Suite("walctl truncate")
struct TruncateTests {
    @Test("deletes sealed segments wholly at or below the fence, keeping the last two")
    func deletes() throws {
        let directory = TemporaryDirectory("truncate")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 40, segmentTargetBytes: 1024)
        let segments = try directory.segmentNames()
        #expect(segments.count >= 4)

        let result = try Walctl.run("truncate", directory.path, "--fence", "120")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try directory.segmentNames() == Array(segments.suffix(2)))
        #expect(result.stdout.contains("deleted \(directory.child(segments[0])) (LSNs 1..."))
        #expect(result.stdout.contains("deleted \(segments.count - 2) segment(s)"))
        #expect(result.stderr.contains("warning"))  // no checkpoint marker in this log

        let again = try Walctl.run("truncate", directory.path, "--fence", "120")
        #expect(again.status == 0)
        #expect(again.stdout.contains("nothing to delete"))
    }

    @Test("warns when the fence is above the newest checkpoint's snapshot LSN")
    func fenceAboveCheckpoint() throws {
        let directory = TemporaryDirectory("truncate-checkpoint")
        try LogFixture.writeMixedLog(at: directory.path)
        let below = try Walctl.run("truncate", directory.path, "--fence", "6")
        #expect(below.status == 0)
        #expect(below.stderr.isEmpty)
        let above = try Walctl.run("truncate", directory.path, "--fence", "9")
        #expect(above.status == 0)
        #expect(above.stderr.contains("above the newest checkpoint's snapshot LSN 6"))
    }

    @Test("refuses a damaged log with exit 2 and changes nothing")
    func damaged() throws {
        let directory = TemporaryDirectory("truncate-damaged")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 40, segmentTargetBytes: 1024)
        let before = try directory.segmentNames()
        try LogFixture.flipByte(in: directory.child("0000000002.wal"), at: 60)
        let result = try Walctl.run("truncate", directory.path, "--fence", "100")
        #expect(result.status == 2)
        #expect(result.stderr.contains("refusing to truncate a damaged log"))
        #expect(try directory.segmentNames() == before)
    }

    @Test("refuses while a live handle holds the lock")
    func locked() throws {
        let directory = TemporaryDirectory("truncate-locked")
        let (wal, _, _) = try WAL<MutationEvent>.open(directory: directory.path, options: WALOptions(syncMode: .none))
        defer { try? wal.close() }
        let result = try Walctl.run("truncate", directory.path, "--fence", "1")
        #expect(result.status == 3)
    }

    @Test("refuses a fence above the highest LSN with exit 64")
    func fenceTooHigh() throws {
        let directory = TemporaryDirectory("truncate-high")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 2)
        let result = try Walctl.run("truncate", directory.path, "--fence", "1000")
        #expect(result.status == 64)
        #expect(result.stderr.contains("above the highest LSN"))
    }

    @Test("requires --fence")
    func missingFence() throws {
        let directory = TemporaryDirectory("truncate-nofence")
        let result = try Walctl.run("truncate", directory.path)
        #expect(result.status == 64)
    }
}
