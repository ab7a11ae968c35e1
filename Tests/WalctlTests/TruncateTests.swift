import Foundation
import GraphStore
import Testing
import WriteAheadLog

@Suite("walctl truncate")
struct TruncateTests {
    @Test("deletes sealed segments wholly at or below the fence, keeping the last two")
    func deletes() throws {
        let directory = try TemporaryDirectory("truncate")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 40, segmentTargetBytes: 1024)
        let segments = try directory.segmentNames()
        #expect(segments.count >= 4)

        let result = try Walctl.run("truncate", directory.path, "--fence", "120")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try directory.segmentNames() == Array(segments.suffix(2)))
        #expect(result.stdout.contains("deleted \(directory.path(segments[0])) (LSNs 1..."))
        #expect(result.stdout.contains("deleted \(segments.count - 2) segment(s)"))
        #expect(result.stderr.contains("warning"))  // no checkpoint marker in this log

        let again = try Walctl.run("truncate", directory.path, "--fence", "120")
        #expect(again.status == 0)
        #expect(again.stdout.contains("nothing to delete"))
    }

    @Test("refuses while a live handle holds the lock")
    func locked() throws {
        let directory = try TemporaryDirectory("truncate-locked")
        let (wal, _, _) = try WAL<MutationEvent>.open(directory: directory.path, options: WALOptions(syncMode: .none))
        defer { try? wal.close() }
        let result = try Walctl.run("truncate", directory.path, "--fence", "1")
        #expect(result.status == 3)
    }

    @Test("refuses a fence above the highest LSN with exit 64")
    func fenceTooHigh() throws {
        let directory = try TemporaryDirectory("truncate-high")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 2)
        let result = try Walctl.run("truncate", directory.path, "--fence", "1000")
        #expect(result.status == 64)
        #expect(result.stderr.contains("above the highest LSN"))
    }

    @Test("requires --fence")
    func missingFence() throws {
        let directory = try TemporaryDirectory("truncate-nofence")
        let result = try Walctl.run("truncate", directory.path)
        #expect(result.status == 64)
    }
}
