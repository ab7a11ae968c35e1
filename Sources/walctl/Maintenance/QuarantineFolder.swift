#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import WriteAheadLog

/// The `quarantine/` folder of a log directory, where files are set aside
/// instead of deleted.
///
/// Names follow the library's salvage rule: the original name, or with
/// `.1`, `.2`, ... appended when that name is taken, so nothing already set
/// aside is ever overwritten, and a dry run can predict the names a real
/// run will use.
struct QuarantineFolder {
    let logDirectory: String
    let path: String
    private var taken: Set<String>

    init(logDirectory: String) {
        self.logDirectory = logDirectory
        path = joinPath(logDirectory, "quarantine")
        taken = Set(Self.names(in: path))
    }

    /// Reserves and returns the name `fileName` will get in the folder.
    mutating func reserveName(for fileName: String) -> String {
        var name = fileName
        var suffix = 1
        while taken.contains(name) {
            name = "\(fileName).\(suffix)"
            suffix += 1
        }
        taken.insert(name)
        return joinPath(path, name)
    }

    /// Moves `source`, a file of the log directory, into the folder
    /// (creating it) and fsyncs both directories, so the move survives a
    /// crash. Returns the new path.
    mutating func move(_ source: String, named fileName: String) throws(WalctlFailure) -> String {
        let destination = reserveName(for: fileName)
        if mkdir(path, 0o755) != 0, errno != EEXIST {
            throw WalctlFailure(.failed, "cannot create \(path): \(errnoText(errno))")
        }
        guard rename(source, destination) == 0 else {
            throw WalctlFailure(.failed, "cannot move \(source) to \(destination): \(errnoText(errno))")
        }
        try Self.syncDirectory(path)
        try Self.syncDirectory(logDirectory)
        return destination
    }

    private static func names(in path: String) -> [String] {
        guard let stream = opendir(path) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            names.append(withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) })
        }
        return names
    }

    private static func syncDirectory(_ path: String) throws(WalctlFailure) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw WalctlFailure(.failed, "cannot open \(path) to fsync it: \(errnoText(errno))")
        }
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            throw WalctlFailure(.failed, "fsync of \(path) failed: \(errnoText(errno))")
        }
    }
}
