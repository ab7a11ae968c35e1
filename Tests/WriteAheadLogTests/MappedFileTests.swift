import Foundation
import Testing
import WALTestSupport

@testable import WriteAheadLog

@Suite("Mapped files")
struct MappedFileTests {
    @Test("a mapped file keeps its bytes when another file is renamed over it; an empty one is not mapped")
    func stableAcrossRename() throws {
        let directory = TemporaryDirectory()
        let path = directory.child("snapshot")
        let original = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try Data(original).write(to: URL(fileURLWithPath: path))
        let mapped = try #require(try PosixFileSystem().mapForReading(path))
        try Data(repeating: 1, count: 10).write(to: URL(fileURLWithPath: directory.child("new")))
        try PosixFileSystem().rename(directory.child("new"), to: path)
        #expect(Array(mapped.bytes) == original)
        try Data().write(to: URL(fileURLWithPath: directory.child("empty")))
        #expect(try PosixFileSystem().mapForReading(directory.child("empty")) == nil)
        expectWALError(.io) { _ = try PosixFileSystem().mapForReading(directory.child("missing")) }
    }
}
