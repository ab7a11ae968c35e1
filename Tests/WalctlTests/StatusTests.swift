import Foundation
import Testing
import WriteAheadLog
import GraphStore
import WALTestSupport

@Suite("walctl status")
struct StatusTests {
    @Test("lists every segment with its LSN range, and the next and highest LSN")
    func cleanRotatedLog() throws {
        let directory = TemporaryDirectory("status-clean")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 40, segmentTargetBytes: 1024)
        let segments = try directory.segmentNames()
        #expect(segments.count > 2)

        let result = try Walctl.run("status", directory.path)
        #expect(result.status == 0)
        for name in segments { #expect(result.stdout.contains(name)) }
        // 40 transactions of begin + batch + commit.
        #expect(result.stdout.contains("highest LSN: 120"))
        #expect(result.stdout.contains("next LSN: 121"))
        #expect(result.stdout.contains("torn tail: none"))
        #expect(result.stdout.contains("lock: free"))
        #expect(result.stdout.contains("transactions: 40 committed"))
    }

    @Test("--json gives segments, LSNs and lock state for programs")
    func json() throws {
        let directory = TemporaryDirectory("status-json")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 20, segmentTargetBytes: 1024)
        let result = try Walctl.run("status", directory.path, "--json")
        #expect(result.status == 0)
        let json = try result.json()
        let segments = try #require(json["segments"] as? [[String: Any]])
        #expect(segments.count == (try directory.segmentNames()).count)
        #expect(segments.first?["baseLSN"] as? Int == 1)
        #expect(segments.first?["sealed"] as? Bool == true)
        #expect(segments.last?["sealed"] as? Bool == false)
        #expect(segments.last?["lastLSN"] as? Int == 60)
        #expect(json["highestLSN"] as? Int == 60)
        #expect(json["nextLSN"] as? Int == 61)
        #expect(json["locked"] as? Bool == false)
        #expect(json["tornTail"] is NSNull)
    }

    @Test("shows the newest checkpoint marker and transactions by outcome")
    func checkpoint() throws {
        let directory = TemporaryDirectory("status-checkpoint")
        try LogFixture.writeMixedLog(at: directory.path)
        let result = try Walctl.run("status", directory.path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("newest checkpoint: marker LSN 10, snapshot LSN 6"))
        #expect(result.stdout.contains("transactions: 2 committed, 1 aborted, 0 incomplete"))
        let json = try Walctl.run("status", directory.path, "--json").json()
        let marker = try #require(json["newestCheckpoint"] as? [String: Any])
        #expect(marker["markerLSN"] as? Int == 10)
        #expect(marker["snapshotLSN"] as? Int == 6)
    }

    @Test("shows a torn tail with its offset and the bytes the next open cuts")
    func tornTail() throws {
        let directory = TemporaryDirectory("status-torn")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 3)
        let before = try LogFixture.size(of: directory.child("0000000001.wal"))
        try LogFixture.appendGarbage(toLastSegmentIn: directory.path, count: 37)

        let result = try Walctl.run("status", directory.path, "--json")
        #expect(result.status == 0)
        let torn = try #require(try result.json()["tornTail"] as? [String: Any])
        #expect(torn["offset"] as? Int == Int(before))
        #expect(torn["bytesToCut"] as? Int == 37)
        // Reading changed nothing.
        #expect(try LogFixture.size(of: directory.child("0000000001.wal")) == before + 37)
    }

    @Test("names the live process that holds the lock")
    func lockHolder() throws {
        let directory = TemporaryDirectory("status-locked")
        let (wal, _, _) = try WAL<MutationEvent>.open(directory: directory.path, options: WALOptions(syncMode: .none))
        defer { try? wal.close() }
        let result = try Walctl.run("status", directory.path)
        #expect(result.status == 0)
        #expect(result.stdout.contains("lock: held by a live process (pid \(getpid()))"))
    }

    @Test("shows where damage stopped the walk, and exits 2")
    func damage() throws {
        let directory = TemporaryDirectory("status-damage")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 30, segmentTargetBytes: 1024)
        try LogFixture.flipByte(in: directory.child("0000000001.wal"), at: 100)
        let result = try Walctl.run("status", directory.path)
        #expect(result.status == 2)
        #expect(result.stdout.contains("damage: \(directory.child("0000000001.wal")) offset"))
        #expect(result.stdout.contains("not read: after the damage"))
    }
}
