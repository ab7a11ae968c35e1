import Synchronization
import WriteAheadLog

/// The real file system, whose file fsyncs fail once told to: the way to
/// poison a log on demand.
final class FailingFileSystem: FileSystem {
    let base = PosixFileSystem()
    let failSyncs = Atomic<Bool>(false)

    func createDirectory(_ path: String) throws { try base.createDirectory(path) }
    func openFile(_ path: String, mode: FileOpenMode) throws -> any StorageFile {
        FailingFile(inner: try base.openFile(path, mode: mode), owner: self)
    }
    func listDirectory(_ path: String) throws -> [String] { try base.listDirectory(path) }
    func rename(_ source: String, to destination: String) throws { try base.rename(source, to: destination) }
    func removeFile(_ path: String) throws { try base.removeFile(path) }
    func syncDirectory(_ path: String) throws { try base.syncDirectory(path) }
    func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    func lockDirectory(_ path: String) throws -> any DirectoryLock { try base.lockDirectory(path) }
    func isDirectoryLocked(_ path: String) -> Bool { base.isDirectoryLocked(path) }
}

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
            throw WALError(.io, "injected fsync failure", operation: "fsync", path: path, errno: 5)
        }
        try inner.sync()
    }
    func truncate(to size: UInt64) throws { try inner.truncate(to: size) }
    func preallocate(to size: UInt64) throws -> Bool { try inner.preallocate(to: size) }
    func map(size: Int) throws -> (any MappedRegion)? { try inner.map(size: size) }
}
