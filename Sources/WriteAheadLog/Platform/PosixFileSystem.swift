#if !os(Linux)
#error("swift-graph-wal runs on Linux only: its durability rests on fdatasync, fallocate, flock, futexes and Linux's shared mappings (see the README)")
#endif

import CFileSpace
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The real file system, through POSIX calls.
package struct PosixFileSystem: FileSystem {
    package init() {}

    /// Every file this creates (segments, their temp files, the lock file,
    /// the graph database's snapshots) is readable and writable by its owner
    /// only: the log holds whatever the application commits.
    static let fileMode: mode_t = 0o600

    package func createDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += component
            if mkdir(prefix, 0o755) != 0 {
                let code = errno
                guard code == EEXIST, isDirectory(prefix) else {
                    throw WALError(.io, "cannot create directory", operation: "mkdir", path: prefix, errno: code)
                }
            }
            prefix += "/"
        }
    }

    package func mapForReading(_ path: String) throws -> MappedFile? {
        try MappedFile.map(path)
    }

    package func openFile(_ path: String, mode: FileOpenMode) throws -> any StorageFile {
        let flags: Int32
        switch mode {
        case .readOnly: flags = O_RDONLY | O_CLOEXEC
        case .readWrite: flags = O_RDWR | O_CLOEXEC
        case .createNew: flags = O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC
        }
        let fd = retryingEINTR { open(path, flags, Self.fileMode) }
        guard fd >= 0 else {
            throw WALError(.io, "cannot open file", operation: "open", path: path, errno: errno)
        }
        return PosixFile(fd: fd, path: path)
    }

    package func listDirectory(_ path: String) throws -> [String] {
        guard let stream = opendir(path) else {
            throw WALError(.io, "cannot list directory", operation: "opendir", path: path, errno: errno)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    package func rename(_ source: String, to destination: String) throws {
        guard Glibc.rename(source, destination) == 0 else {
            throw WALError(.io, "cannot rename to \(destination)", operation: "rename", path: source, errno: errno)
        }
    }

    package func removeFile(_ path: String) throws {
        guard unlink(path) == 0 else {
            throw WALError(.io, "cannot remove file", operation: "unlink", path: path, errno: errno)
        }
    }

    package func syncDirectory(_ path: String) throws {
        let fd = retryingEINTR { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else {
            throw WALError(.io, "cannot open directory to fsync it", operation: "open", path: path, errno: errno)
        }
        defer { close(fd) }
        guard retryingEINTR({ fsync(fd) }) == 0 else {
            throw WALError(.io, "directory fsync failed", operation: "fsync", path: path, errno: errno)
        }
    }

    package func fileExists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    package func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    package func lockDirectory(_ path: String) throws -> any DirectoryLock {
        let lockPath = joinPath(path, lockFileName)
        let fd = retryingEINTR { open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, Self.fileMode) }
        guard fd >= 0 else {
            throw WALError(.io, "cannot open the lock file", operation: "open", path: lockPath, errno: errno)
        }
        // flock locks belong to the open file description, so a second open
        // in this same process conflicts too, exactly like another process.
        if retryingEINTR({ flock(fd, LOCK_EX | LOCK_NB) }) != 0 {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK {
                throw WALError(
                    .alreadyOpen, "another live handle holds the lock of this log directory; close it first",
                    operation: "open", path: path)
            }
            throw WALError(.io, "cannot lock the log directory", operation: "flock", path: lockPath, errno: code)
        }
        // The holder's pid, for operators reading the file; the lock itself is the flock.
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return PosixDirectoryLock(fd: fd)
    }

    package func isDirectoryLocked(_ path: String) -> Bool {
        let fd = open(joinPath(path, lockFileName), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) != 0 { return errno == EWOULDBLOCK }
        _ = flock(fd, LOCK_UN)
        return false
    }
}

/// An open file descriptor, closed when the last reference goes away.
package final class PosixFile: StorageFile {
    let fd: Int32
    package let path: String

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    package func startWriteBack(_ range: Range<UInt64>) {
        _ = cfile_space_write_behind(fd, Int64(range.lowerBound), Int64(range.count), 0)
    }

    package func dropWritten(_ range: Range<UInt64>) {
        _ = cfile_space_write_behind(fd, Int64(range.lowerBound), Int64(range.count), 1)
    }

    package func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        var done = 0
        while done < bytes.count {
            let written = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if written < 0 {
                if errno == EINTR { continue }
                throw WALError(
                    .io, "write of \(bytes.count - done) bytes failed", operation: "pwrite", path: path,
                    offset: offset + UInt64(done), errno: errno)
            }
            done += written
        }
    }

    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        var done = 0
        while done < buffer.count {
            let count = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if count < 0 {
                if errno == EINTR { continue }
                throw WALError(
                    .io, "read failed", operation: "pread", path: path, offset: offset + UInt64(done), errno: errno)
            }
            if count == 0 { break }
            done += count
        }
        return done
    }

    package func size() throws -> UInt64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw WALError(.io, "cannot read the file size", operation: "fstat", path: path, errno: errno)
        }
        return UInt64(info.st_size)
    }

    package func sync() throws {
        guard retryingEINTR({ fdatasync(fd) }) == 0 else {
            throw WALError(.io, "fdatasync failed", operation: "fdatasync", path: path, errno: errno)
        }
    }

    package func truncate(to size: UInt64) throws {
        guard retryingEINTR({ ftruncate(fd, off_t(size)) }) == 0 else {
            throw WALError(.io, "cannot truncate to \(size) bytes", operation: "ftruncate", path: path, errno: errno)
        }
    }

    /// `fallocate(fd, 0, 0, size)`, not `posix_fallocate`: where the file
    /// system cannot reserve space (FUSE, NFS, some overlays) glibc's
    /// `posix_fallocate` writes every block instead, which took an empty
    /// log 14 s to open on FUSE. Returns false there, and on copy-on-write
    /// file systems (btrfs, ZFS), where reserved blocks do not guarantee
    /// that a write through a mapping finds space (it raises SIGBUS rather
    /// than failing): the log then writes with write calls, which report a
    /// full disk as an error. Throws for other failures, `ENOSPC` included.
    package func preallocate(to size: UInt64) throws -> Bool {
        if cfile_space_is_copy_on_write(fd) != 0 { return false }
        let result = cfile_space_reserve(fd, Int64(clamping: size))
        if result == 0 { return true }
        if result == EOPNOTSUPP || result == ENOSYS || result == EINVAL { return false }
        throw WALError(.io, "cannot reserve \(size) bytes", operation: "fallocate", path: path, errno: result)
    }

    package func map(size: Int) throws -> (any MappedRegion)? {
        guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), base != MAP_FAILED else {
            throw WALError(.io, "cannot map \(size) bytes", operation: "mmap", path: path, errno: errno)
        }
        return PosixMappedRegion(base: base, size: size)
    }
}

/// A `MAP_SHARED` mapping, unmapped on release.
///
/// `@unchecked Sendable`: the region is only written by the log's writer
/// while it holds the write lock, and the pointer itself never changes.
final class PosixMappedRegion: MappedRegion, @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let size: Int

    init(base: UnsafeMutableRawPointer, size: Int) {
        self.base = base
        self.size = size
    }

    deinit { munmap(base, size) }

    var directBase: UnsafeMutableRawPointer? { base }

    func store(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        guard let source = bytes.baseAddress, offset >= 0, offset + bytes.count <= size else { return }
        (base + offset).copyMemory(from: source, byteCount: bytes.count)
    }

    /// `MADV_POPULATE_WRITE` (Linux 5.14): faults the pages in writable, as
    /// a write would, without touching a byte. For the preallocated tail
    /// that means allocating and zero-filling fresh page-cache pages, the
    /// work a first write into each page would otherwise do on a
    /// committer's thread. The pages are dirty zeros until written, so an
    /// fsync in between writes zeros where zeros already read back: no
    /// byte of the file changes. (Why not `MADV_POPULATE_READ`: see
    /// Benchmarks/README.md.) Where the range lies past a
    /// truncation the call fails with `EFAULT` instead of raising
    /// `SIGBUS`; every failure is ignored, as the write would simply fault
    /// as before.
    func prefault(_ range: Range<Int>) {
        #if os(Linux)
        let page = Int(getpagesize())
        let start = max(range.lowerBound, 0) / page * page, end = min(range.upperBound, size)
        guard start < end else { return }
        _ = madvise(base + start, end - start, MADV_POPULATE_WRITE)
        #endif
    }
}

extension PosixMappedRegion {
    /// `MADV_DONTNEED`, which on a shared file mapping only unmaps: the
    /// pages stay in the page cache (a dirty page-table entry marks its
    /// page dirty as it goes) and read back the same. One TLB flush for the
    /// range, where an fsync writing the pages back while they are mapped
    /// write-protects them one at a time, each with a TLB-shootdown IPI to
    /// the CPU of the thread writing the next records.
    func unmapPages(_ range: Range<Int>) {
        #if os(Linux)
        let page = Int(getpagesize())
        let start = (max(range.lowerBound, 0) + page - 1) / page * page
        let end = min(range.upperBound, size) / page * page
        guard start < end else { return }
        _ = madvise(base + start, end - start, MADV_DONTNEED)
        #endif
    }
}

/// The held `flock` of a log directory.
final class PosixDirectoryLock: DirectoryLock {
    private let fd: Int32
    private let released = Atomic<Bool>(false)

    init(fd: Int32) { self.fd = fd }

    func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = flock(fd, LOCK_UN)
        close(fd)
    }

    deinit { release() }
}

@inline(__always)
func retryingEINTR(_ call: () -> Int32) -> Int32 {
    while true {
        let result = call()
        if result == -1 && errno == EINTR { continue }
        return result
    }
}
