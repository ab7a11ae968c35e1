import Synchronization
import WriteAheadLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The real file system, whose file fsyncs fail with `EIO` once told to:
/// the way to poison a log on a real directory, on demand.
package final class FailingFileSystem: WrappingFileSystem {
    package let base = PosixFileSystem()
    /// While true, every `fdatasync` of a file fails without running.
    package let failSyncs = Atomic<Bool>(false)

    package init() {}

    package func openFile(_ path: String, mode: FileOpenMode) throws -> any StorageFile {
        FailingFile(inner: try base.openFile(path, mode: mode), owner: self)
    }
}

/// A real file whose `sync()` obeys its ``FailingFileSystem``.
final class FailingFile: WrappingStorageFile {
    let inner: any StorageFile
    let owner: FailingFileSystem

    init(inner: any StorageFile, owner: FailingFileSystem) {
        self.inner = inner
        self.owner = owner
    }

    func sync() throws {
        if owner.failSyncs.load(ordering: .acquiring) {
            throw WALError(.io, "injected fsync failure", operation: "fdatasync", path: path, errno: EIO)
        }
        try inner.sync()
    }
}
