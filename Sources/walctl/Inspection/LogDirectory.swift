#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import WriteAheadLog

/// A log directory, checked and listed before any command reads or changes it.
///
/// The library's `open` creates a missing directory and a first segment,
/// which is right for a database and wrong for an operator tool: a typo in
/// a path must not leave a new empty log behind, and `repair` must not
/// "repair" a directory that never held one. So every command starts here,
/// and this type only looks (`stat`, `opendir`), never creates.
struct LogDirectory {
    /// The path as the operator gave it.
    let path: String
    /// Every canonical segment file, in id order.
    let segments: [SegmentFile]
    /// Segment files left half-created by a crash (`0000000003.wal.tmp`):
    /// never part of the log, removed by the library's next open.
    let temporaryFiles: [String]
    /// Whether a `superseded/` folder exists: the log once continued above a snapshot newer than it.
    let hasSuperseded: Bool
    /// Whether a `quarantine/` folder exists: salvage set something aside before.
    let hasQuarantine: Bool

    /// Checks that `path` is a readable directory holding at least one
    /// segment, and lists it.
    ///
    /// - Throws: ``WalctlFailure`` with ``ExitStatus/noInput`` naming what is
    ///   wrong: missing, not a directory, unreadable, or no segments.
    init(checking path: String) throws(WalctlFailure) {
        self.path = path
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT {
                throw WalctlFailure(.noInput, "\(path): no such directory")
            }
            throw WalctlFailure(.noInput, "\(path): cannot read it: \(errnoText(code))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else {
            throw WalctlFailure(.noInput, "\(path): not a directory (a log is a directory of NNNNNNNNNN.wal segment files)")
        }
        let names = try Self.list(path)
        var segments: [SegmentFile] = []
        var temporaryFiles: [String] = []
        for name in names {
            if let id = SegmentID(fileName: name) {
                let file = joinPath(path, name)
                var fileInfo = stat()
                guard stat(file, &fileInfo) == 0 else {
                    throw WalctlFailure(.noInput, "\(file): cannot read it: \(errnoText(errno))")
                }
                segments.append(SegmentFile(id: id, path: file, bytes: UInt64(clamping: fileInfo.st_size)))
            } else if name.hasSuffix(".tmp"), SegmentID(fileName: String(name.dropLast(4))) != nil {
                temporaryFiles.append(name)
            }
        }
        guard !segments.isEmpty else {
            throw WalctlFailure(.noInput, "\(path): no segment files (NNNNNNNNNN.wal) here: this is not a write-ahead log directory")
        }
        self.segments = segments.sorted { $0.id < $1.id }
        self.temporaryFiles = temporaryFiles.sorted()
        self.hasQuarantine = names.contains("quarantine")
        self.hasSuperseded = names.contains("superseded")
    }

    /// Bytes of all segment files: what a full scan reads.
    var totalBytes: UInt64 { segments.reduce(0) { $0 + $1.bytes } }

    /// Whether a live handle holds the lock right now, and which process
    /// wrote its pid into the lock file when it took it.
    var lockHolder: LockHolder {
        guard WALInspector.isLocked(directory: path) else { return .none }
        return .held(pid: Self.readPID(joinPath(path, lockFileName)))
    }

    /// The directory's entry names, without `.` and `..`, through the library's file-system seam.
    private static func list(_ path: String) throws(WalctlFailure) -> [String] {
        do {
            return try PosixFileSystem().listDirectory(path)
        } catch {
            throw WalctlFailure(.noInput, "\(path): cannot list it: \((error as? WALError)?.errnoText ?? "\(error)")")
        }
    }

    /// The pid the lock holder wrote, if the file holds one.
    private static func readPID(_ path: String) -> Int32? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self)
        return Int32(text.filter { !$0.isWhitespace })
    }
}
