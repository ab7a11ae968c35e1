import Foundation
import GraphDatabase

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The one folder the admin routes may read and write snapshot files in.
///
/// A `path` in an admin request is a file name inside this folder (a
/// relative path is taken relative to it; an absolute one must lie in it).
/// `..` is refused outright, and so is anything whose real location, after
/// symbolic links, is outside the folder or inside the log directory, so a
/// request can neither replace nor read an arbitrary file of the server's
/// user. The folder is `--snapshot-dir` when given, else the data
/// directory's `snapshots/`, else the folder of `--snapshot-path`.
struct SnapshotFolder: Sendable {
    /// The folder; nil when the server has none (in memory, or no snapshot path).
    let path: String?
    /// The log directory, which no snapshot path may reach.
    let walDirectory: String?
    /// The largest file a load reads.
    let maxBytes: UInt64

    init(configuration: ServerConfiguration) {
        switch configuration.storage {
        case .inMemory:
            path = configuration.snapshotDirectory
            walDirectory = nil
        case .dataDirectory(let root):
            path = configuration.snapshotDirectory ?? (root.hasSuffix("/") ? root + "snapshots" : root + "/snapshots")
            walDirectory = root.hasSuffix("/") ? root + "wal" : root + "/wal"
        case .explicit(let wal, let snapshotPath, _):
            path = configuration.snapshotDirectory ?? snapshotPath.map { ($0 as NSString).deletingLastPathComponent }.map { $0.isEmpty ? "." : $0 }
            walDirectory = wal
        }
        maxBytes = configuration.limits.maxSnapshotBytes
    }

    /// The real path of the file `requested` names inside the folder.
    ///
    /// With `creating`, a missing folder is created (a first save); without,
    /// a missing folder or file is `not_found`. Touches the file system:
    /// call it off the cooperative pool.
    func resolve(_ requested: String, creating: Bool) throws(GraphServerError) -> String {
        guard let path else {
            throw GraphServerError(
                .unavailable, "this server has no snapshot folder for named files; start it with --snapshot-dir, --data-dir or --snapshot-path")
        }
        let components = requested.split(separator: "/", omittingEmptySubsequences: true)
        if requested.contains("\0") || components.contains("..") {
            throw GraphServerError(.badRequest, "\"path\" must name a file inside the snapshot folder; \"..\" is not allowed")
        }
        guard let name = components.last, name != ".", !requested.hasSuffix("/") else {
            throw GraphServerError(.badRequest, "\"path\" must name a file inside the snapshot folder, not a folder")
        }
        if creating && !FileManager.default.fileExists(atPath: path) {
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        guard let folder = Self.realPath(path) else {
            throw GraphServerError(.notFound, "the snapshot folder does not exist yet; take a checkpoint first")
        }
        let candidate = requested.hasPrefix("/") ? requested : path + "/" + requested
        let parent = (candidate as NSString).deletingLastPathComponent
        guard let realParent = Self.realPath(parent.isEmpty ? "/" : parent) else {
            let clean = Self.lexicallyClean(candidate)
            if requested.hasPrefix("/") && !Self.isInside(clean, folder) && !Self.isInside(clean, Self.lexicallyClean(path)) {
                throw Self.outside(requested)
            }
            throw GraphServerError(.notFound, "no folder \"\(components.dropLast().joined(separator: "/"))\" in the snapshot folder")
        }
        guard Self.isInside(realParent, folder) else { throw Self.outside(requested) }
        var target = realParent == "/" ? "/" + name : realParent + "/" + name
        var status = stat()
        if lstat(target, &status) == 0, (status.st_mode & S_IFMT) == S_IFLNK {
            // A link inside the folder may point at another file inside it, never out.
            guard let linked = Self.realPath(target), Self.isInside(linked, folder) else {
                throw GraphServerError(.badRequest, "\"path\" is a symbolic link that leads out of the snapshot folder")
            }
            target = linked
        }
        if let walDirectory, let wal = Self.realPath(walDirectory), Self.isInside(target, wal) {
            throw GraphServerError(.badRequest, "\"path\" must not name a file in the log directory")
        }
        return target
    }

    /// Checks that `path` is a regular file of at most ``maxBytes``, opening
    /// it without blocking (a FIFO or a device would block a plain open or
    /// read forever) and without following a final symbolic link.
    func checkLoadable(_ path: String) throws(GraphServerError) {
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else {
            switch errno {
            case ENOENT: throw GraphServerError(.notFound, "no snapshot file \"\((path as NSString).lastPathComponent)\" in the snapshot folder")
            case ELOOP: throw GraphServerError(.badRequest, "\"path\" is a symbolic link; name the snapshot file itself")
            default: throw GraphServerError(.internal, "cannot open the snapshot file \(path): \(String(cString: strerror(errno)))")
            }
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw GraphServerError(.internal, "cannot stat the snapshot file \(path): \(String(cString: strerror(errno)))")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw GraphServerError(.badRequest, "\"path\" is not a regular file; only snapshot files can be loaded")
        }
        guard UInt64(status.st_size) <= maxBytes else {
            throw GraphServerError(
                .badSnapshot, "the snapshot file has \(status.st_size) bytes; this server loads at most \(maxBytes) (--max-snapshot-bytes)")
        }
    }

    /// Refuses a target that exists but is not a regular file (a folder, a FIFO, a device).
    func checkWritable(_ path: String) throws(GraphServerError) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw GraphServerError(.badRequest, "\"path\" names something that is not a regular file; snapshots replace files only")
        }
    }

    private static func outside(_ requested: String) -> GraphServerError {
        GraphServerError(.badRequest, "\"path\" must name a file inside the snapshot folder; \(requested) is outside it")
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func isInside(_ path: String, _ folder: String) -> Bool {
        path == folder || path.hasPrefix(folder == "/" ? "/" : folder + "/")
    }

    /// `path` without `.` components and doubled slashes (`..` is refused before).
    static func lexicallyClean(_ path: String) -> String {
        "/" + path.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }
}
