import WriteAheadLog

/// A test file system over the real one that changes only how the files it
/// opens behave: everything but `openFile` goes to `base` unchanged.
package protocol WrappingFileSystem: FileSystem {
    var base: PosixFileSystem { get }
}

extension WrappingFileSystem {
    package func createDirectory(_ path: String) throws { try base.createDirectory(path) }
    package func listDirectory(_ path: String) throws -> [String] { try base.listDirectory(path) }
    package func rename(_ source: String, to destination: String) throws { try base.rename(source, to: destination) }
    package func removeFile(_ path: String) throws { try base.removeFile(path) }
    package func syncDirectory(_ path: String) throws { try base.syncDirectory(path) }
    package func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    package func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    package func lockDirectory(_ path: String) throws -> any DirectoryLock { try base.lockDirectory(path) }
    package func isDirectoryLocked(_ path: String) -> Bool { base.isDirectoryLocked(path) }
}

/// A file of a wrapping file system: every operation it does not define
/// itself goes to `inner` unchanged.
package protocol WrappingStorageFile: StorageFile {
    var inner: any StorageFile { get }
}

extension WrappingStorageFile {
    package var path: String { inner.path }
    package func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws { try inner.write(bytes, at: offset) }
    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        try inner.read(into: buffer, at: offset)
    }
    package func size() throws -> UInt64 { try inner.size() }
    package func sync() throws { try inner.sync() }
    package func truncate(to size: UInt64) throws { try inner.truncate(to: size) }
    package func preallocate(to size: UInt64) throws -> Bool { try inner.preallocate(to: size) }
    package func map(size: Int) throws -> (any MappedRegion)? { try inner.map(size: size) }
    package func startWriteBack(_ range: Range<UInt64>) { inner.startWriteBack(range) }
    package func dropWritten(_ range: Range<UInt64>) { inner.dropWritten(range) }
}
