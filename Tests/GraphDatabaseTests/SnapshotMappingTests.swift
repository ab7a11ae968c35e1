import Foundation
import GraphStore
import Testing
import WALTestSupport
import WriteAheadLog

@testable import GraphDatabase

/// Snapshot files are decoded from a read-only mapping on the real file
/// system and read into memory on the others; both give the same graph,
/// the same log position and the same errors.
@Suite("Mapped snapshots")
struct SnapshotMappingTests {
    /// The real file system, but reading files as a simulated one does.
    struct ReadingFileSystem: WrappingFileSystem {
        let base = PosixFileSystem()
        func openFile(_ path: String, mode: FileOpenMode) throws -> any StorageFile { try base.openFile(path, mode: mode) }
    }

    static func outcome(_ files: SnapshotFiles, _ path: String) -> String {
        do {
            let loaded = try files.load(path)
            return "\(loaded.walLSN) \(String(describing: loaded.logPosition)) \(loaded.store.dump())"
        } catch {
            return "\(error)"
        }
    }

    @Test("mapped and read, a checkpoint's snapshot gives the same graph and position; damaged, the same error")
    func sameBothWays() throws {
        let directory = TemporaryDirectory()
        let (database, _) = try GraphDatabase.open(.dataDirectory(directory.child("data")))
        try runWorkload(database, rounds: 300, seed: 3)
        let checkpoint = try database.checkpoint()
        try database.close()
        let mapped = SnapshotFiles(fileSystem: PosixFileSystem())
        let read = SnapshotFiles(fileSystem: ReadingFileSystem())
        #expect(try PosixFileSystem().mapForReading(checkpoint.path) != nil)
        #expect(try ReadingFileSystem().mapForReading(checkpoint.path) == nil)
        let sound = Self.outcome(mapped, checkpoint.path)
        #expect(sound == Self.outcome(read, checkpoint.path))
        #expect(try mapped.load(checkpoint.path).logPosition != nil)
        #expect(sound.hasSuffix(try read.load(checkpoint.path).store.dump()))

        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: checkpoint.path)))
        let damaged: [(String, [UInt8])] = [
            ("body byte", { var b = bytes; b[200] ^= 0x10; return b }()),
            ("truncated", Array(bytes.prefix(bytes.count - 9))),
            ("header only", Array(bytes.prefix(SnapshotHeader.size))),
            ("short", Array(bytes.prefix(20))),
            ("empty", []),
        ]
        for (what, contents) in damaged {
            let path = directory.child("damaged-\(what).snap")
            try Data(contents).write(to: URL(fileURLWithPath: path))
            let error = Self.outcome(mapped, path)
            #expect(error == Self.outcome(read, path), "\(what)")
            #expect(error.contains("not usable"), "\(what): \(error)")
        }
    }
}
