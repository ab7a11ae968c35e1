import Foundation
import Testing
import WALTestSupport

@testable import WriteAheadLog

@Suite("Opening, closing and the directory lock")
struct LifecycleTests {
    @Test("a fresh open creates segment 1 with base LSN 1 and next LSN 1")
    func freshOpen() throws {
        let directory = TemporaryDirectory()
        let path = directory.child("wal")
        let (wal, events, report) = try openNotes(path)
        #expect(events.isEmpty)
        #expect(wal.nextLSN == LSN(1))
        #expect(wal.durableLSN == .none)
        #expect(wal.activeSegmentID == SegmentID(1))
        #expect(wal.oldestSegmentID == SegmentID(1))
        #expect(report.segments.map(\.baseLSN) == [LSN(1)])
        let header = try SegmentFiles.read(SegmentFiles.segmentPath(path, 1))
        #expect(try header.withUnsafeBytes { try SegmentHeader(parsing: $0) }.baseLSN == LSN(1))
        // The segment's name is durable: it appears in a fresh listing.
        #expect(try FileManager.default.contentsOfDirectory(atPath: path).contains("0000000001.wal"))
        try wal.close()
    }

    @Test("a second open in the same process fails with alreadyOpen until the first is closed")
    func lockSameProcess() throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.path)
        expectWALError(.alreadyOpen) { _ = try openNotes(directory.path) }
        try wal.close()
        let (again, _, _) = try openNotes(directory.path)
        try again.close()
    }

    @Test("dropping the last reference closes the log and releases the lock")
    func deinitCloses() throws {
        let directory = TemporaryDirectory()
        do {
            let (wal, _, _) = try openNotes(directory.path)
            try wal.commit([Note(1, "kept")])
        }
        let (wal, events, _) = try openNotes(directory.path)
        #expect(events == [Note(1, "kept")])
        try wal.close()
    }

    @Test("another process cannot take the lock while a handle is open")
    func lockSeenByOtherProcess() throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.path)
        let lockFile = directory.path + "/.wal.lock"
        #expect(try run("/usr/bin/flock", ["-n", lockFile, "true"]) != 0)
        try wal.close()
        #expect(try run("/usr/bin/flock", ["-n", lockFile, "true"]) == 0)
    }

    @Test("open fails with alreadyOpen while another process holds the lock")
    func lockHeldByOtherProcess() throws {
        let directory = TemporaryDirectory()
        try openNotes(directory.path).0.close()
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        // -o: the lock stays with flock itself, not the sleeping child, so
        // terminating flock releases it.
        holder.arguments = ["-o", directory.path + "/.wal.lock", "sleep", "5"]
        try holder.run()
        defer { holder.terminate() }
        // Wait until the child holds the lock.
        for _ in 0..<200 where !WALInspector.isLocked(directory: directory.path) { usleep(10_000) }
        #expect(WALInspector.isLocked(directory: directory.path))
        expectWALError(.alreadyOpen) { _ = try openNotes(directory.path) }
        holder.terminate()
        holder.waitUntilExit()
        try openNotes(directory.path).0.close()
    }

    @Test("calls after close fail with closed, and closing twice is harmless")
    func afterClose() throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.path)
        try wal.close()
        try wal.close()
        expectWALError(.closed) { try wal.commit([Note(1, "late")]) }
        expectWALError(.closed) { _ = try wal.begin() }
    }

    @Test("stale temp segment files from a crashed rotation are removed on open")
    func staleTemporaryFiles() throws {
        let directory = TemporaryDirectory()
        try openNotes(directory.path).0.close()
        let stale = directory.path + "/0000000002.wal.tmp"
        try SegmentFiles.write([1, 2, 3], to: stale)
        let (wal, _, _) = try openNotes(directory.path)
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(wal.activeSegmentID == SegmentID(1))
        try wal.close()
    }
}
