import WriteAheadLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The ``FileSystem`` seam over a ``SimulatedDisk``, valid for one "boot":
/// after the disk crashes every call fails with `EIO` (queries answer
/// "nothing there"), so a handle from before the crash cannot touch the
/// state the next boot recovers from.
package struct SimulatedFileSystem: FileSystem {
    package let disk: SimulatedDisk
    let boot: Int

    package func createDirectory(_ path: String) throws {
        let components = DiskModel.components(path)
        var prefix = ""
        for component in components {
            let parentPath = prefix.isEmpty ? "/" : prefix
            prefix += "/" + component
            let current = prefix
            let exists: Bool = try disk.inspect(boot: boot, syscall: "mkdir", path: current) { state in
                guard let node = state.model.lookup(current) else { return false }
                guard state.model.directories.contains(node) else {
                    throw SimulatedDisk.error(EEXIST, "mkdir", current, "cannot create directory: a file is in the way")
                }
                return true
            }
            if exists { continue }
            try disk.mutate(.makeDirectory, path: current, boot: boot, syscall: "mkdir") { state, fault in
                if let fault { throw SimulatedDisk.error(fault.errno, "mkdir", current, "cannot create directory") }
                guard let parent = state.model.lookup(parentPath), state.model.directories.contains(parent) else {
                    throw SimulatedDisk.error(ENOENT, "mkdir", current, "cannot create directory")
                }
                if state.model.entries[parent]?[component] != nil { return }
                let node = state.model.newNode()
                state.model.directories.insert(node)
                state.model.entries[node] = [:]
                state.model.record(.link(directory: parent, name: component, node: node))
            }
        }
    }

    package func openFile(_ path: String, mode: FileOpenMode) throws -> any StorageFile {
        let node: Int
        switch mode {
        case .readOnly, .readWrite:
            node = try disk.inspect(boot: boot, syscall: "open", path: path) { state in
                guard let node = state.model.lookup(path) else {
                    throw SimulatedDisk.error(ENOENT, "open", path, "cannot open file")
                }
                guard state.model.files[node] != nil else {
                    throw SimulatedDisk.error(EISDIR, "open", path, "cannot open file")
                }
                return node
            }
        case .createNew:
            node = try disk.mutate(.create, path: path, boot: boot, syscall: "open") { state, fault in
                if let fault { throw SimulatedDisk.error(fault.errno, "open", path, "cannot open file") }
                guard let (directory, name) = state.model.parent(of: path) else {
                    throw SimulatedDisk.error(ENOENT, "open", path, "cannot open file")
                }
                guard state.model.entries[directory]?[name] == nil else {
                    throw SimulatedDisk.error(EEXIST, "open", path, "cannot open file")
                }
                let node = state.model.newNode()
                state.model.files[node] = DiskModel.FileNode()
                state.model.record(.link(directory: directory, name: name, node: node))
                return node
            }
        }
        return SimulatedFile(disk: disk, boot: boot, node: node, path: path, writable: mode != .readOnly)
    }

    package func listDirectory(_ path: String) throws -> [String] {
        try disk.inspect(boot: boot, syscall: "opendir", path: path) { state in
            guard let node = state.model.lookup(path), state.model.directories.contains(node) else {
                throw SimulatedDisk.error(ENOENT, "opendir", path, "cannot list directory")
            }
            return (state.model.entries[node] ?? [:]).keys.sorted()
        }
    }

    package func rename(_ source: String, to destination: String) throws {
        try disk.mutate(.rename, path: source, boot: boot, syscall: "rename") { state, fault in
            if let fault { throw SimulatedDisk.error(fault.errno, "rename", source, "cannot rename to \(destination)") }
            guard let (from, name) = state.model.parent(of: source), let node = state.model.entries[from]?[name] else {
                throw SimulatedDisk.error(ENOENT, "rename", source, "cannot rename to \(destination)")
            }
            guard let (to, newName) = state.model.parent(of: destination) else {
                throw SimulatedDisk.error(ENOENT, "rename", source, "cannot rename to \(destination)")
            }
            if let existing = state.model.entries[to]?[newName], state.model.directories.contains(existing) {
                throw SimulatedDisk.error(EISDIR, "rename", source, "cannot rename to \(destination)")
            }
            state.model.record(.rename(from: from, name: name, to: to, newName: newName, node: node))
        }
    }

    package func removeFile(_ path: String) throws {
        try disk.mutate(.remove, path: path, boot: boot, syscall: "unlink") { state, fault in
            if let fault { throw SimulatedDisk.error(fault.errno, "unlink", path, "cannot remove file") }
            guard let (directory, name) = state.model.parent(of: path), let node = state.model.entries[directory]?[name] else {
                throw SimulatedDisk.error(ENOENT, "unlink", path, "cannot remove file")
            }
            guard !state.model.directories.contains(node) else {
                throw SimulatedDisk.error(EISDIR, "unlink", path, "cannot remove file")
            }
            state.model.record(.unlink(directory: directory, name: name, node: node))
        }
    }

    package func syncDirectory(_ path: String) throws {
        try disk.mutate(.directorySync, path: path, boot: boot, syscall: "fsync") { state, fault in
            guard let node = state.model.lookup(path), state.model.directories.contains(node) else {
                throw SimulatedDisk.error(ENOENT, "open", path, "cannot open directory to fsync it")
            }
            if let fault { throw SimulatedDisk.error(fault.errno, "fsync", path, "directory fsync failed") }
            state.model.syncDirectory(node)
            state.statistics.directorySyncs += 1
        }
    }

    package func fileExists(_ path: String) -> Bool {
        (try? disk.inspect(boot: boot, syscall: "access", path: path) { $0.model.lookup(path) != nil }) ?? false
    }

    package func isDirectory(_ path: String) -> Bool {
        (try? disk.inspect(boot: boot, syscall: "stat", path: path) { state in
            state.model.lookup(path).map { state.model.directories.contains($0) } ?? false
        }) ?? false
    }

    /// `flock` semantics: one holder per directory; a second attempt fails
    /// with `alreadyOpen` until the holder releases. A crash drops every lock.
    package func lockDirectory(_ path: String) throws -> any DirectoryLock {
        let key = SimulatedDisk.normalise(path)
        let lockPath = joinPath(path, lockFileName)
        let token: UInt64 = try disk.inspect(boot: boot, syscall: "flock", path: lockPath) { state in
            guard let node = state.model.lookup(path), state.model.directories.contains(node) else {
                throw SimulatedDisk.error(ENOENT, "open", lockPath, "cannot open the lock file")
            }
            guard state.locks[key] == nil else {
                throw WALError(
                    .alreadyOpen, "another live handle holds the lock of this log directory; close it first",
                    operation: "open", path: path)
            }
            if state.model.entries[node]?[lockFileName] == nil {
                let file = state.model.newNode()
                state.model.files[file] = DiskModel.FileNode()
                state.model.record(.link(directory: node, name: lockFileName, node: file))
            }
            let token = state.nextLockToken
            state.nextLockToken += 1
            state.locks[key] = token
            return token
        }
        return SimulatedLock(disk: disk, key: key, token: token)
    }

    package func isDirectoryLocked(_ path: String) -> Bool {
        let key = SimulatedDisk.normalise(path)
        return (try? disk.inspect(boot: boot, syscall: "flock", path: path) { $0.locks[key] != nil }) ?? false
    }
}

/// One open file of a ``SimulatedFileSystem``.
final class SimulatedFile: StorageFile {
    let disk: SimulatedDisk
    let boot: Int
    let node: Int
    let path: String
    let writable: Bool

    init(disk: SimulatedDisk, boot: Int, node: Int, path: String, writable: Bool) {
        self.disk = disk
        self.boot = boot
        self.node = node
        self.path = path
        self.writable = writable
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        let data = Array(bytes)
        try disk.mutate(.write, path: path, boot: boot, syscall: "pwrite") { state, fault in
            guard writable else { throw SimulatedDisk.error(EBADF, "pwrite", path, "write of \(data.count) bytes failed", offset: offset) }
            guard state.model.files[node] != nil else { throw SimulatedDisk.error(EIO, "pwrite", path, "the file is gone") }
            if let fault {
                // The kernel copies a write into the page cache page by page
                // and fails at a page, never inside one: a short write
                // stores whole pages from the start, up to a page boundary.
                var stored = 0
                if fault.shortWrite {
                    let pageSize = disk.pageSize
                    let start = Int(offset)
                    var boundaries: [Int] = []
                    var boundary = (start / pageSize + 1) * pageSize
                    while boundary < start + data.count {
                        boundaries.append(boundary - start)
                        boundary += pageSize
                    }
                    if !boundaries.isEmpty {
                        stored = boundaries[Int(state.random.next() % UInt64(boundaries.count))]
                        state.model.write(node, Array(data[0..<stored]), at: start)
                    }
                }
                throw SimulatedDisk.error(
                    fault.errno, "pwrite", path, "write of \(data.count - stored) bytes failed", offset: offset + UInt64(stored))
            }
            state.model.write(node, data, at: Int(offset))
            state.statistics.writes += 1
            state.statistics.bytesWritten += data.count
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        try disk.inspect(boot: boot, syscall: "pread", path: path) { state in
            guard let file = state.model.files[node] else { throw SimulatedDisk.error(EIO, "pread", path, "read failed") }
            let start = Int(clamping: offset)
            guard start < file.size else { return 0 }
            let count = min(buffer.count, file.size - start)
            let stored = max(0, min(count, file.current.count - start))
            if stored > 0 {
                file.current.withUnsafeBytes { source in
                    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<(start + stored)]))
                }
            }
            if count > stored {
                // Reserved space past the written end reads as zeros.
                if let base = buffer.baseAddress { memset(base + stored, 0, count - stored) }
            }
            return count
        }
    }

    func size() throws -> UInt64 {
        try disk.inspect(boot: boot, syscall: "fstat", path: path) { state in
            guard let file = state.model.files[node] else { throw SimulatedDisk.error(EIO, "fstat", path, "cannot read the file size") }
            return UInt64(file.size)
        }
    }

    func sync() throws {
        try disk.mutate(.fileSync, path: path, boot: boot, syscall: "fdatasync") { state, fault in
            if let fault {
                // Like Linux after failed writeback: the dirty data stays
                // readable but is no longer dirty, so no later sync saves it.
                state.model.failSync(node)
                state.statistics.failedFileSyncs += 1
                throw SimulatedDisk.error(fault.errno, "fdatasync", path, "fdatasync failed")
            }
            state.model.syncFile(node)
            state.statistics.fileSyncs += 1
        }
    }

    func truncate(to size: UInt64) throws {
        try disk.mutate(.truncate, path: path, boot: boot, syscall: "ftruncate") { state, fault in
            guard writable else { throw SimulatedDisk.error(EBADF, "ftruncate", path, "cannot truncate to \(size) bytes") }
            if let fault { throw SimulatedDisk.error(fault.errno, "ftruncate", path, "cannot truncate to \(size) bytes") }
            state.model.truncate(node, to: Int(size))
        }
    }
}

extension SimulatedFile {
    /// `fallocate` with mode 0: extends the file with zeros to `size`.
    func preallocate(to size: UInt64) throws -> Bool {
        guard disk.supportsMapping else { return false }
        return try disk.mutate(.preallocate, path: path, boot: boot, syscall: "fallocate") { state, fault in
            guard writable else { throw SimulatedDisk.error(EBADF, "fallocate", path, "cannot reserve \(size) bytes") }
            if let fault { throw SimulatedDisk.error(fault.errno, "fallocate", path, "cannot reserve \(size) bytes") }
            guard state.model.files[node] != nil else { throw SimulatedDisk.error(EIO, "fallocate", path, "the file is gone") }
            state.model.reserve(node, to: Int(size))
            return true
        }
    }

    func map(size: Int) throws -> (any MappedRegion)? {
        guard disk.supportsMapping else { return nil }
        try disk.inspect(boot: boot, syscall: "mmap", path: path) { state in
            guard writable, state.model.files[node] != nil else {
                throw SimulatedDisk.error(EACCES, "mmap", path, "cannot map \(size) bytes")
            }
        }
        return SimulatedMappedRegion(file: self, size: size)
    }
}

/// A shared mapping of a simulated file: every store lands in the disk
/// model's page cache, in the hostile order ``SimulatedDisk`` describes
/// when a crash interrupts it.
final class SimulatedMappedRegion: MappedRegion {
    let file: SimulatedFile
    let size: Int

    init(file: SimulatedFile, size: Int) {
        self.file = file
        self.size = size
    }

    func store(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        guard offset + bytes.count <= size else { return }
        file.disk.storeMapped(Array(bytes), node: file.node, at: offset, boot: file.boot, path: file.path)
    }
}

/// A held simulated `flock`. Releasing it frees the directory only if this
/// lock still holds it: a lock from before a crash frees nothing.
final class SimulatedLock: DirectoryLock {
    let disk: SimulatedDisk
    let key: String
    let token: UInt64

    init(disk: SimulatedDisk, key: String, token: UInt64) {
        self.disk = disk
        self.key = key
        self.token = token
    }

    func release() {
        disk.state.withLock { state in
            if state.locks[key] == token { state.locks[key] = nil }
        }
    }

    deinit { release() }
}
