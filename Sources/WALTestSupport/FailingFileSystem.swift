import Synchronization
import WriteAheadLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The real file system, whose file fsyncs fail with `EIO` once told to:
/// the way to poison a log on a real directory, on demand.
package final class FailingFileSystem: FileSystem {
    let base = PosixFileSystem()
    /// While true, every `fdatasync` of a file fails without running.
    package let failSyncs = Atomic<Bool>(false)

    package init() {}

    package func createDirectory(_ path: String) throws { try base.createDirectory(path) }
    package func openFile(_ path: String, mode: FileOpenMode) throws -> any StorageFile {
        FailingFile(inner: try base.openFile(path, mode: mode), owner: self)
    }
    package func listDirectory(_ path: String) throws -> [String] { try base.listDirectory(path) }
    package func rename(_ source: String, to destination: String) throws { try base.rename(source, to: destination) }
    package func removeFile(_ path: String) throws { try base.removeFile(path) }
    package func syncDirectory(_ path: String) throws { try base.syncDirectory(path) }
    package func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    package func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    package func lockDirectory(_ path: String) throws -> any DirectoryLock { try base.lockDirectory(path) }
    package func isDirectoryLocked(_ path: String) -> Bool { base.isDirectoryLocked(path) }
}

/// A real file whose `sync()` obeys its ``FailingFileSystem``.
final class FailingFile: StorageFile {
    let inner: any StorageFile
    let owner: FailingFileSystem

    init(inner: any StorageFile, owner: FailingFileSystem) {
        self.inner = inner
        self.owner = owner
    }

    var path: String { inner.path }
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws { try inner.write(bytes, at: offset) }
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int { try inner.read(into: buffer, at: offset) }
    func size() throws -> UInt64 { try inner.size() }
    func sync() throws {
        if owner.failSyncs.load(ordering: .acquiring) {
            throw WALError(.io, "injected fsync failure", operation: "fdatasync", path: path, errno: EIO)
        }
        try inner.sync()
    }
    func truncate(to size: UInt64) throws { try inner.truncate(to: size) }
    func preallocate(to size: UInt64) throws -> Bool { try inner.preallocate(to: size) }
    func map(size: Int) throws -> (any MappedRegion)? { try inner.map(size: size) }
}
