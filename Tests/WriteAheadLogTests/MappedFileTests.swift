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

    @Test("unmapped pages of a shared mapping keep their bytes, written before or after, and reach the file")
    func unmappedPagesKeepTheirBytes() throws {
        let directory = TemporaryDirectory()
        let path = directory.child("segment")
        let file = try PosixFileSystem().openFile(path, mode: .createNew)
        let size = 64 << 10
        #expect(try file.preallocate(to: UInt64(size)))
        let mapping = try #require(try file.map(size: size))
        var expected = [UInt8](repeating: 0, count: size)
        func store(_ byte: UInt8, _ range: Range<Int>) {
            let bytes = [UInt8](repeating: byte, count: range.count)
            bytes.withUnsafeBytes { mapping.store($0, at: range.lowerBound) }
            expected.replaceSubrange(range, with: bytes)
        }
        store(1, 0..<20_000)
        // Whole pages only: 4096..<16384 here, the partial ones stay mapped.
        mapping.unmapPages(100..<19_000)
        store(2, 19_000..<30_000)
        // A write into an unmapped page maps it again.
        store(3, 5_000..<5_100)
        try file.sync()
        mapping.unmapPages(0..<size)
        #expect(Array(UnsafeRawBufferPointer(start: mapping.directBase, count: size)) == expected)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == expected)
    }
}
