import Foundation
import GraphStore
import Testing
import WriteAheadLog
import WALTestSupport

@Suite("walctl snapshot inspect")
struct SnapshotInspectTests {
    /// A snapshot of a small graph, stamped with WAL LSN 42.
    private func writeSnapshot(in directory: TemporaryDirectory, logPosition: LogPosition? = nil) throws -> String {
        var store = GraphStore()
        var events: [MutationEvent] = []
        let a = try store.createNode(labels: ["Person"], properties: ["name": "a"], events: &events)
        let b = try store.createNode(labels: ["Person"], properties: ["name": "b"], events: &events)
        try store.createRelationship(type: "KNOWS", from: a, to: b, events: &events)
        let path = directory.child("graph.snapshot")
        try Data(store.snapshotBytes(walLSN: LSN(42), logPosition: logPosition)).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("shows the header, walLSN and counts, with the checksums intact")
    func intact() throws {
        let directory = TemporaryDirectory("snapshot")
        let path = try writeSnapshot(in: directory)
        let result = try Walctl.run("snapshot", "inspect", path, "--deep")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("walLSN: 42"))
        #expect(result.stdout.contains("nodes: 2"))
        #expect(result.stdout.contains("relationships: 1"))
        #expect(result.stdout.contains("body checksum: ok"))
        #expect(result.stdout.contains("body decode: ok"))
        #expect(result.stdout.contains("log position: none"))

        let json = try Walctl.run("snapshot", "inspect", path, "--json").json()
        let header = try #require(json["header"] as? [String: Any])
        #expect(header["walLSN"] as? Int == 42)
        #expect(json["bodyChecksum"] as? String == "ok")
    }

    @Test("shows the log position a checkpoint's snapshot keeps")
    func logPosition() throws {
        let directory = TemporaryDirectory("snapshot-position")
        let path = try writeSnapshot(in: directory, logPosition: LogPosition(segment: SegmentID(3), offset: 4_096, lsn: LSN(42)))
        let result = try Walctl.run("snapshot", "inspect", path)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("header: intact (format version 4)"))
        #expect(result.stdout.contains("log position: LSN 42 at offset 4096 of segment 3"), "\(result.stdout)")
        let json = try Walctl.run("snapshot", "inspect", path, "--json").json()
        let position = try #require(json["logPosition"] as? [String: Any])
        #expect(position["segment"] as? Int == 3)
        #expect(position["offset"] as? Int == 4_096)
        #expect(position["lsn"] as? Int == 42)
    }

    @Test("reports a flipped body byte as a checksum mismatch, exit 2")
    func damagedBody() throws {
        let directory = TemporaryDirectory("snapshot-body")
        let path = try writeSnapshot(in: directory)
        try LogFixture.flipByte(in: path, at: UInt64(SnapshotHeader.size + 2))
        let result = try Walctl.run("snapshot", "inspect", path)
        #expect(result.status == 2)
        #expect(result.stdout.contains("walLSN: 42"))
        #expect(result.stdout.contains("body checksum: mismatch"))
    }

    @Test("reports a damaged header, exit 2")
    func damagedHeader() throws {
        let directory = TemporaryDirectory("snapshot-header")
        let path = try writeSnapshot(in: directory)
        try LogFixture.flipByte(in: path, at: 13)
        let result = try Walctl.run("snapshot", "inspect", path)
        #expect(result.status == 2)
        #expect(result.stdout.contains("header: damaged"))
    }

    @Test("reports a truncated snapshot, exit 2")
    func truncated() throws {
        let directory = TemporaryDirectory("snapshot-short")
        let path = try writeSnapshot(in: directory)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 3).write(to: URL(fileURLWithPath: path))
        let result = try Walctl.run("snapshot", "inspect", path)
        #expect(result.status == 2)
        #expect(result.stdout.contains("truncated"))
    }

    @Test("a missing file is one line and exit 66")
    func missing() throws {
        let directory = TemporaryDirectory("snapshot-missing")
        let result = try Walctl.run("snapshot", "inspect", directory.child("nope"))
        #expect(result.status == 66)
        #expect(result.stderr == "walctl: \(directory.child("nope")): no such file\n")
    }
}
