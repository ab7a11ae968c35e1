@testable import WriteAheadLog

/// A test file system over the real one that changes only how the files it
/// opens behave: everything but `openFile` goes to `base` unchanged.
protocol WrappingFileSystem: FileSystem {
    var base: PosixFileSystem { get }
}

extension WrappingFileSystem {
    func createDirectory(_ path: String) throws { try base.createDirectory(path) }
    func listDirectory(_ path: String) throws -> [String] { try base.listDirectory(path) }
    func rename(_ source: String, to destination: String) throws { try base.rename(source, to: destination) }
    func removeFile(_ path: String) throws { try base.removeFile(path) }
    func syncDirectory(_ path: String) throws { try base.syncDirectory(path) }
    func fileExists(_ path: String) -> Bool { base.fileExists(path) }
    func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    func lockDirectory(_ path: String) throws -> any DirectoryLock { try base.lockDirectory(path) }
    func isDirectoryLocked(_ path: String) -> Bool { base.isDirectoryLocked(path) }
}
