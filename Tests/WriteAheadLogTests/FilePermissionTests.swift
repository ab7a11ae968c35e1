import Foundation
import Testing
import WALTestSupport

@testable import WriteAheadLog

@Suite("Files the log creates are readable by their owner only")
struct FilePermissionTests {
    /// The permission bits of `path`, as `stat` reports them.
    func mode(of path: String) throws -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw WALError(.io, "cannot stat", operation: "stat", path: path, errno: errno)
        }
        return info.st_mode & 0o777
    }

    @Test("segment files and the lock file are created with mode 0600")
    func segmentAndLockFileMode() throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.path, .test(segmentTargetBytes: 256))
        // Enough commits to rotate: later segments are made by rotation, through a temp file.
        for index in 0..<12 { try wal.commit([Note(UInt16(index), "note \(index) of a few segments")]) }
        #expect(wal.activeSegmentID > SegmentID(1))
        #expect(try mode(of: SegmentFiles.segmentPath(directory.path, 1)) == 0o600)
        #expect(try mode(of: SegmentFiles.segmentPath(directory.path, wal.activeSegmentID.rawValue)) == 0o600)
        #expect(try mode(of: directory.child(lockFileName)) == 0o600)
        try wal.close()
    }

    @Test("a file created through the file system seam (a snapshot, a temp file) has mode 0600")
    func createdFileMode() throws {
        let directory = TemporaryDirectory()
        let path = directory.child("snapshot.tmp")
        _ = try PosixFileSystem().openFile(path, mode: .createNew)
        #expect(try mode(of: path) == 0o600)
    }
}
