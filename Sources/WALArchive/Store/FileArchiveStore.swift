import Crypto
import Foundation
import WriteAheadLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An ``ArchiveStore`` over a local directory (or an NFS mount): each key is
/// a file under the root, named by the key's `/`-separated components.
///
/// Writes are atomic and durable: the bytes go to a temporary file in the
/// key's directory (`open(O_CREAT|O_EXCL)`, `write`, `fsync`), which then
/// takes the key's name (`rename(2)`, or `link(2)` for a create) before the
/// directory is fsynced, so a reader or a crash sees the old or the new
/// object, never part of one.
///
/// Conditional writes hold between processes: a create (`ifAbsent`) is a
/// `link(2)` to the final name, which the kernel refuses with `EEXIST`
/// when any object has the name, so of two racing creators exactly one
/// wins; a replace (`ifMatches`) and every other change take an exclusive
/// `flock(2)` on `<root>/.lock` around compare-and-rename.
///
/// An object's version is the SHA-256 of its bytes in hex, so `head` and
/// `list` read the objects they report. Names starting with `.` are the
/// store's own (lock, temporary files): keys may not have such components.
///
/// Every operation runs its system calls on a thread of its own, never on
/// the cooperative pool of the caller.
public struct FileArchiveStore: ArchiveStore {
    /// The directory holding the objects.
    public let root: String

    /// A store over `directory`, which is created on the first write (its
    /// parent must exist: a store never creates directories above its root).
    public init(directory: String) {
        var root = directory
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        self.root = root
    }

    /// A store for a `file:///absolute/path` URL.
    public init(url: String) throws {
        let scheme = "file://"
        guard url.hasPrefix(scheme) else {
            throw ArchiveError(.invalidArgument, "a file archive URL starts with file:// (got \(url))")
        }
        let path = String(url.dropFirst(scheme.count))
        guard path.hasPrefix("/"), !path.contains("\0") else {
            throw ArchiveError(.invalidArgument, "a file archive URL names an absolute path, as in file:///srv/archive (got \(url))")
        }
        self.init(directory: path.removingPercentEncoding ?? path)
    }

    public func put(_ key: String, _ bytes: [UInt8], condition: WriteCondition) async throws -> ObjectVersion {
        let path = try self.path(for: key)
        let root = self.root
        return try await Self.offload {
            let directory = Self.parent(of: path)
            try Self.makeDirectories(directory, under: root)
            let temporary = try Self.writeTemporary(bytes, in: directory)
            var linked = false
            defer { if !linked { unlink(temporary) } }
            switch condition {
            case .ifAbsent:
                // link(2) fails with EEXIST if the name exists: the kernel
                // decides the race, whoever else writes the store.
                if link(temporary, path) != 0 {
                    let error = errno
                    if error == EEXIST {
                        throw ArchiveError(.preconditionFailed, "an object already exists under this key", key: key)
                    }
                    throw ArchiveError(.io, "cannot create the object", key: key, path: path, errno: error)
                }
            case .unconditional:
                try Self.withStoreLock(root) {
                    try Self.rename(temporary, to: path, key: key)
                    linked = true
                }
            case .ifMatches(let expected):
                try Self.withStoreLock(root) {
                    guard let current = try Self.readFile(path, key: key) else {
                        throw ArchiveError(.preconditionFailed, "no object to replace under this key", key: key)
                    }
                    let version = Self.version(of: current)
                    guard version == expected else {
                        throw ArchiveError(
                            .preconditionFailed, "the object changed: version \(version), expected \(expected)", key: key)
                    }
                    try Self.rename(temporary, to: path, key: key)
                    linked = true
                }
            }
            try Self.syncDirectory(directory)
            return Self.version(of: bytes)
        }
    }

    public func get(_ key: String) async throws -> StoredObject? {
        let path = try self.path(for: key)
        return try await Self.offload {
            guard let bytes = try Self.readFile(path, key: key) else { return nil }
            return StoredObject(info: ObjectInfo(key: key, size: bytes.count, version: Self.version(of: bytes)), bytes: bytes)
        }
    }

    public func head(_ key: String) async throws -> ObjectInfo? {
        try await get(key)?.info
    }

    public func list(prefix: String, after: String?, limit: Int) async throws -> ListPage {
        guard limit > 0 else { throw ArchiveError(.invalidArgument, "a listing needs a positive page size") }
        guard !prefix.contains("\0"), !prefix.hasPrefix("/") else {
            throw ArchiveError(.invalidArgument, "a prefix is relative to the store and has no NUL: \(prefix)")
        }
        let root = self.root
        return try await Self.offload {
            // Walk only the deepest directory the prefix names in full.
            let directoryPart = prefix.lastIndex(of: "/").map { String(prefix[..<$0]) } ?? ""
            var keys: [String] = []
            Self.collectKeys(in: directoryPart.isEmpty ? root : root + "/" + directoryPart, keyPrefix: directoryPart, into: &keys)
            let afterBytes = after.map { Array($0.utf8) }
            let matching = keys.filter { key in
                guard key.hasPrefix(prefix) else { return false }
                guard let afterBytes else { return true }
                return afterBytes.lexicographicallyPrecedes(Array(key.utf8))
            }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            var objects: [ObjectInfo] = []
            for key in matching.prefix(limit) {
                // Deleted since the walk: not part of the listing.
                guard let bytes = try Self.readFile(root + "/" + key, key: key) else { continue }
                objects.append(ObjectInfo(key: key, size: bytes.count, version: Self.version(of: bytes)))
            }
            let more = matching.count > limit
            return ListPage(objects: objects, continuation: more ? matching[limit - 1] : nil)
        }
    }

    public func delete(_ key: String) async throws {
        let path = try self.path(for: key)
        let root = self.root
        try await Self.offload {
            try Self.withStoreLock(root) {
                if unlink(path) != 0 {
                    let error = errno
                    if error == ENOENT || error == ENOTDIR { return }
                    throw ArchiveError(.io, "cannot delete the object", key: key, path: path, errno: error)
                }
                try Self.syncDirectory(Self.parent(of: path))
            }
        }
    }

    // MARK: - Keys and paths

    /// The file of `key`, after checking the key names a file inside the root.
    func path(for key: String) throws -> String {
        guard !key.isEmpty, key.utf8.count <= 1024, !key.contains("\0") else {
            throw ArchiveError(.invalidArgument, "an object key is 1 to 1024 bytes without NUL", key: key)
        }
        let components = key.split(separator: "/", omittingEmptySubsequences: false)
        for component in components where component.isEmpty || component.hasPrefix(".") {
            throw ArchiveError(
                .invalidArgument, "an object key has no empty component and none starting with '.' (reserved for the store)",
                key: key)
        }
        return root + "/" + key
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func version(of bytes: [UInt8]) -> ObjectVersion {
        ObjectVersion(etag: SHA256.hash(data: bytes).map { hexByte($0) }.joined())
    }

    // MARK: - System calls

    static func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await runBlocking(body)
    }

    /// Creates `directory` and the missing directories above it, down from
    /// `root`, fsyncing each parent a directory was created in.
    static func makeDirectories(_ directory: String, under root: String) throws {
        if isDirectory(directory) { return }
        if directory != root, directory.hasPrefix(root) {
            try makeDirectories(parent(of: directory), under: root)
        } else if directory != root {
            throw ArchiveError(.invalidArgument, "a key's directory lies outside the store", path: directory)
        }
        if mkdir(directory, 0o700) != 0 {
            let error = errno
            if error == EEXIST && isDirectory(directory) { return }
            throw ArchiveError(.io, "cannot create the store's directory", path: directory, errno: error)
        }
        if directory != root { try syncDirectory(parent(of: directory)) }
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Writes `bytes` to a new hidden file in `directory` and fsyncs it; returns its path.
    static func writeTemporary(_ bytes: [UInt8], in directory: String) throws -> String {
        var random = SystemRandomNumberGenerator()
        let path = directory + "/.tmp-" + String(random.next(), radix: 16) + String(random.next(), radix: 16)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ArchiveError(.io, "cannot create a temporary file", path: path, errno: errno) }
        var done = false
        defer {
            close(fd)
            if !done { unlink(path) }
        }
        var written = 0
        try bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let count = write(fd, buffer.baseAddress! + written, buffer.count - written)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw ArchiveError(.io, "cannot write the object", path: path, errno: errno)
                }
                written += count
            }
        }
        guard fsync(fd) == 0 else { throw ArchiveError(.io, "cannot fsync the object", path: path, errno: errno) }
        done = true
        return path
    }

    static func rename(_ from: String, to path: String, key: String) throws {
        guard Glibc.rename(from, path) == 0 else {
            throw ArchiveError(.io, "cannot move the object into place", key: key, path: path, errno: errno)
        }
    }

    /// The whole file, or `nil` when it does not exist.
    static func readFile(_ path: String, key: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let error = errno
            if error == ENOENT || error == ENOTDIR { return nil }
            throw ArchiveError(.io, "cannot open the object", key: key, path: path, errno: error)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ArchiveError(.io, "cannot stat the object", key: key, path: path, errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw ArchiveError(.invalidArgument, "the key names a directory, not an object", key: key, path: path)
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var total = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while total < buffer.count {
                let count = read(fd, buffer.baseAddress! + total, buffer.count - total)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw ArchiveError(.io, "cannot read the object", key: key, path: path, errno: errno)
                }
                if count == 0 { break }
                total += count
            }
        }
        // Objects are replaced by rename, never changed in place: a short
        // read means a file that is not the store's.
        guard total == bytes.count else {
            throw ArchiveError(.corruption, "the object's file shrank while it was read", key: key, path: path)
        }
        return bytes
    }

    static func syncDirectory(_ directory: String) throws {
        try ArchiveError.platform("cannot fsync the directory", path: directory) {
            try PosixFileSystem().syncDirectory(directory)
        }
    }

    /// Runs `body` holding an exclusive `flock(2)` on `<root>/.lock`.
    static func withStoreLock<T>(_ root: String, _ body: () throws -> T) throws -> T {
        try makeDirectories(root, under: root)
        let path = root + "/.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ArchiveError(.io, "cannot open the store's lock file", path: path, errno: errno) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            throw ArchiveError(.io, "cannot lock the store", path: path, errno: errno)
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    /// Appends the key of every regular file under `directory` (skipping
    /// names that start with `.`) to `keys`.
    static func collectKeys(in directory: String, keyPrefix: String, into keys: inout [String]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where !name.hasPrefix(".") {
            let key = keyPrefix.isEmpty ? name : keyPrefix + "/" + name
            let path = directory + "/" + name
            if isDirectory(path) {
                collectKeys(in: path, keyPrefix: key, into: &keys)
            } else {
                keys.append(key)
            }
        }
    }
}

/// Runs blocking work (file system calls, fsync) on a thread of its own
/// and resumes the caller with its result, so the cooperative pool never
/// waits on a disk.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.start()
    }
}

/// Two lowercase hex digits.
func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
}
