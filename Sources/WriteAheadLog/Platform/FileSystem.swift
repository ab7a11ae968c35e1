#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How a file is opened through the ``FileSystem`` seam.
package enum FileOpenMode: Sendable {
    /// Read only; the file must exist.
    case readOnly
    /// Read and write; the file must exist.
    case readWrite
    /// Read and write; the file must not exist yet.
    case createNew
}

/// One open file. Closing happens when the last reference goes away, so a
/// thread that still holds the file (an fsync in flight) keeps it open.
package protocol StorageFile: AnyObject, Sendable {
    var path: String { get }
    /// Writes all of `bytes` at `offset` (retrying short writes and `EINTR`).
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws
    /// Reads up to `buffer.count` bytes at `offset`; fewer only at end of file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int
    /// The current size in bytes.
    func size() throws -> UInt64
    /// Makes written data durable (`fdatasync`).
    func sync() throws
    /// Cuts or extends the file to `size` bytes.
    func truncate(to size: UInt64) throws
    /// Reserves disk blocks so that the file holds at least `size` bytes
    /// that later writes cannot fail to find space for (`fallocate`).
    /// Returns false where the file system cannot reserve space.
    func preallocate(to size: UInt64) throws -> Bool
    /// Maps the first `size` bytes of the file for shared reading and
    /// writing, or returns nil where files cannot be mapped. Bytes copied
    /// into the mapping are in the kernel's page cache at once; `sync()`
    /// makes them durable.
    func map(size: Int) throws -> (any MappedRegion)?
    /// Advice for a long sequential write (a snapshot): start writing
    /// `range` back to the disk now, without waiting.
    func startWriteBack(_ range: Range<UInt64>)
    /// Advice: wait until `range` is written back, then let the page cache
    /// drop it. Neither call changes what a crash keeps: only `sync()`
    /// makes bytes durable.
    func dropWritten(_ range: Range<UInt64>)
}

extension StorageFile {
    package func preallocate(to size: UInt64) throws -> Bool { false }
    package func map(size: Int) throws -> (any MappedRegion)? { nil }
    package func startWriteBack(_ range: Range<UInt64>) {}
    package func dropWritten(_ range: Range<UInt64>) {}
}

/// A shared mapping of the start of a file, unmapped when released.
package protocol MappedRegion: AnyObject, Sendable {
    var size: Int { get }
    /// Copies `bytes` into the mapping at `offset` (`memmove`): they are in
    /// the page cache when it returns. The order in which the copy stores
    /// its bytes is unspecified (a vectorised copy may store the end of a
    /// block before its start), so a process killed during the call can
    /// leave any subset of `bytes` behind. Callers that need a prefix must
    /// order their own stores (see `LogEngine.storeRecords`).
    func store(_ bytes: UnsafeRawBufferPointer, at offset: Int)
    /// The mapping's address, where the writer may store directly (the
    /// same as `store`, without a call per store on the commit path); nil
    /// where every store must go through `store` (a simulated mapping).
    var directBase: UnsafeMutableRawPointer? { get }
    /// Best effort: brings the pages of `range` into the page cache and
    /// maps them, so that a later write into them finds them there. Never
    /// faults or signals, and changes no byte of the file.
    func prefault(_ range: Range<Int>)
    /// Best effort: drops this mapping's page-table entries for the whole
    /// pages of `range`, which the writer is done with. Their bytes stay in
    /// the page cache, dirty ones dirty; a later access maps them again.
    /// Changes no byte of the file.
    func unmapPages(_ range: Range<Int>)
}

extension MappedRegion {
    package var directBase: UnsafeMutableRawPointer? { nil }
    package func prefault(_ range: Range<Int>) {}
    package func unmapPages(_ range: Range<Int>) {}
}

/// An advisory lock on a directory, held until released or deallocated.
package protocol DirectoryLock: AnyObject, Sendable {
    func release()
}

/// The file operations the log performs, and nothing else.
///
/// Production uses ``PosixFileSystem``; crash tests use a simulated file
/// system that remembers what an fsync made durable and can forget the rest.
package protocol FileSystem: Sendable {
    /// Creates `path` and missing parents; an existing directory is fine.
    func createDirectory(_ path: String) throws
    func openFile(_ path: String, mode: FileOpenMode) throws -> any StorageFile
    /// The names (not paths) of the entries of a directory.
    func listDirectory(_ path: String) throws -> [String]
    func rename(_ source: String, to destination: String) throws
    func removeFile(_ path: String) throws
    /// Makes the directory's entries (creations, renames, removals) durable.
    func syncDirectory(_ path: String) throws
    func fileExists(_ path: String) -> Bool
    func isDirectory(_ path: String) -> Bool
    /// Takes the exclusive lock of a log directory, or fails with `alreadyOpen`.
    func lockDirectory(_ path: String) throws -> any DirectoryLock
    /// Whether some live handle holds the directory lock now (without taking it).
    func isDirectoryLocked(_ path: String) -> Bool
    /// The whole file mapped read-only, or nil where this file system does
    /// not map files (the caller reads them instead).
    func mapForReading(_ path: String) throws -> MappedFile?
}

extension FileSystem {
    /// Simulated and wrapping file systems read; only the real one maps.
    package func mapForReading(_ path: String) throws -> MappedFile? { nil }
}

extension FileSystem {
    /// Creates `path` and any missing parents, and fsyncs the parent of
    /// every directory on the path, whether this call created it or not.
    ///
    /// A new directory is only an entry in its parent: without that fsync a
    /// power loss can take the directory, and every file in it that was
    /// fsynced since (a log with acknowledged commits, a snapshot the log
    /// was already truncated for), with it. Directories that already exist
    /// are not proof of durability either: a process killed between
    /// creating one and fsyncing its parent leaves it in the page cache
    /// only, and every later open would find it and move on. So every
    /// ancestor is fsynced, root first; one that cannot even be opened for
    /// reading (`EACCES`, `EPERM`, above the caller's own directories) is
    /// passed over.
    package func createDirectoryDurably(_ path: String) throws {
        try createDirectory(path)
        var ancestors: [String] = []
        var current = path
        while let parent = parentPath(current), parent != current {
            ancestors.append(parent)
            current = parent
        }
        for directory in ancestors.reversed() {
            do {
                try syncDirectory(directory)
            } catch let error as WALError where error.errno == EACCES || error.errno == EPERM {
                continue
            }
        }
    }
}

/// Joins a directory and a name.
package func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}

/// The directory holding `path`, or nil for the root. A relative name
/// without a slash lives in `"."`.
package func parentPath(_ path: String) -> String? {
    var trimmed = Substring(path)
    while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
    guard trimmed != "/", !trimmed.isEmpty else { return nil }
    guard let slash = trimmed.lastIndex(of: "/") else { return "." }
    if slash == trimmed.startIndex { return "/" }
    return String(trimmed[..<slash])
}

/// The name of the lock file inside a log directory.
package let lockFileName = ".wal.lock"
