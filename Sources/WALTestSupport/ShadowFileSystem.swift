import WriteAheadLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The real file system, keeping beside the data an image of what fsyncs
/// made durable, so that a test can kill a real process with SIGKILL and
/// then simulate a power loss on what it left (``losePower(root:shadow:)``).
///
/// Every successful `fdatasync` of a file under `root` copies the file's
/// whole content into the shadow, keyed by inode; every directory `fsync`
/// records the directory's entries then. A power loss rebuilds `root` from
/// those records alone: each directory as its last fsync saw it, each file
/// with the content of its last fdatasync (empty if it had none). That is
/// the harshest outcome the storage assumptions allow: nothing that no
/// fsync covered survives. Only for tests: it copies whole files on every sync.
package struct ShadowFileSystem: WrappingFileSystem {
    package let root: String
    package let shadow: String
    package let base = PosixFileSystem()

    package init(root: String, shadow: String) {
        self.root = root
        self.shadow = shadow
    }

    func isTracked(_ path: String) -> Bool {
        path == root || path.hasPrefix(root.hasSuffix("/") ? root : root + "/")
    }

    /// The path relative to `root`, "" for `root` itself.
    func relative(_ path: String) -> String {
        path == root ? "" : String(path.dropFirst(root.count).drop { $0 == "/" })
    }

    var inodes: String { joinPath(shadow, "inodes") }
    var directories: String { joinPath(shadow, "directories") }

    package func openFile(_ path: String, mode: FileOpenMode) throws -> any StorageFile {
        let file = try base.openFile(path, mode: mode)
        guard isTracked(path) else { return file }
        if mode == .createNew {
            // A new file has no durable content yet, whatever an earlier
            // file with the same inode number had.
            try? base.removeFile(joinPath(inodes, String(try Self.inode(of: path))))
        }
        return ShadowFile(inner: file, owner: self)
    }


    package func syncDirectory(_ path: String) throws {
        try base.syncDirectory(path)
        guard isTracked(path) else {
            // The parent of root: root's own entry is what matters there.
            return
        }
        var lines: [String] = []
        for name in try base.listDirectory(path).sorted() where name != lockFileName {
            let child = joinPath(path, name)
            let kind = base.isDirectory(child) ? "d" : "f"
            lines.append("\(kind) \(try Self.inode(of: child)) \(name)")
        }
        try Self.replace(joinPath(directories, Self.key(relative(path))), with: Array(lines.joined(separator: "\n").utf8))
    }

    /// Records a successful fdatasync of `path`: its whole content, by inode.
    func recordSync(of path: String) throws {
        let bytes = try Self.readAll(path)
        try Self.replace(joinPath(inodes, String(try Self.inode(of: path))), with: bytes)
    }

    // MARK: Power loss

    /// Replaces `root` with what the fsyncs recorded in `shadow` made
    /// durable. The process that wrote it must be dead.
    package static func losePower(root: String, shadow: String) throws {
        let fileSystem = ShadowFileSystem(root: root, shadow: shadow)
        let lost = root + ".before-power-loss"
        try removeTree(lost)
        try fileSystem.base.rename(root, to: lost)
        try fileSystem.base.createDirectory(root)
        try fileSystem.rebuild("", at: root)
        try removeTree(lost)
        // What is on the disk after the reboot is durable, and the rebuilt
        // files have new inode numbers: record it all afresh.
        try removeTree(shadow)
        try fileSystem.recordTree(root)
    }

    /// Records `path` and everything below it as durable.
    private func recordTree(_ path: String) throws {
        for name in try base.listDirectory(path) where name != lockFileName {
            let child = joinPath(path, name)
            if base.isDirectory(child) { try recordTree(child) } else { try recordSync(of: child) }
        }
        try syncDirectory(path)
    }

    private func rebuild(_ relativePath: String, at path: String) throws {
        guard let manifest = try? Self.readAll(joinPath(directories, Self.key(relativePath))) else { return }
        for line in String(decoding: manifest, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 2).map(String.init)
            guard fields.count == 3 else { continue }
            let child = joinPath(path, fields[2])
            let childRelative = relativePath.isEmpty ? fields[2] : relativePath + "/" + fields[2]
            if fields[0] == "d" {
                try base.createDirectory(child)
                try rebuild(childRelative, at: child)
            } else {
                let content = (try? Self.readAll(joinPath(inodes, fields[1]))) ?? []
                try Self.replace(child, with: content)
            }
        }
    }

    // MARK: Plumbing

    static func key(_ relative: String) -> String {
        relative.isEmpty ? "root" : "root-" + relative.replacingSlashes()
    }

    static func inode(of path: String) throws -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw WALError(.io, "cannot stat", operation: "stat", path: path, errno: errno)
        }
        return UInt64(info.st_ino)
    }

    static func readAll(_ path: String) throws -> [UInt8] {
        let file = try PosixFileSystem().openFile(path, mode: .readOnly)
        var bytes = [UInt8](repeating: 0, count: Int(try file.size()))
        let count = try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
        return Array(bytes.prefix(count))
    }

    /// Writes `bytes` to `path` through a temp file and a rename, creating
    /// missing folders: a reader never sees half a record.
    static func replace(_ path: String, with bytes: [UInt8]) throws {
        let fileSystem = PosixFileSystem()
        if let parent = parentPath(path) { try fileSystem.createDirectory(parent) }
        let temporary = path + ".shadow-tmp"
        if fileSystem.fileExists(temporary) { try fileSystem.removeFile(temporary) }
        let file = try fileSystem.openFile(temporary, mode: .createNew)
        try bytes.withUnsafeBytes { try file.write($0, at: 0) }
        try fileSystem.rename(temporary, to: path)
    }

    static func removeTree(_ path: String) throws {
        let fileSystem = PosixFileSystem()
        guard fileSystem.fileExists(path) else { return }
        guard fileSystem.isDirectory(path) else {
            try fileSystem.removeFile(path)
            return
        }
        for name in try fileSystem.listDirectory(path) { try removeTree(joinPath(path, name)) }
        guard rmdir(path) == 0 else { throw WALError(.io, "cannot remove directory", operation: "rmdir", path: path, errno: errno) }
    }
}

extension String {
    fileprivate func replacingSlashes() -> String {
        String(map { $0 == "/" ? "!" : $0 })
    }
}

/// A file of a ``ShadowFileSystem``: its successful syncs are recorded.
final class ShadowFile: WrappingStorageFile {
    let inner: any StorageFile
    let owner: ShadowFileSystem

    init(inner: any StorageFile, owner: ShadowFileSystem) {
        self.inner = inner
        self.owner = owner
    }

    func sync() throws {
        try inner.sync()
        // The file may have been renamed since it was opened (a temp file
        // renamed into place): the inode, looked up by the current fd's
        // path, is what matters, and a renamed temp file is found by its
        // new name at its next sync. A file renamed after its last sync
        // keeps the content recorded under its inode.
        if owner.fileExists(path) { try owner.recordSync(of: path) }
    }
}
