#if canImport(Glibc)
import Glibc
#endif

/// A temporary directory the benchmark owns and removes, with one fresh
/// subdirectory per system and workload.
final class ScratchDirectory {
    let path: String
    /// Leave the data for inspection (`--keep-data`) instead of removing it.
    let keep: Bool
    private var counter = 0

    /// Creates `<parent>/walbench-XXXXXX`.
    init(parent: String, keep: Bool = false) throws {
        self.keep = keep
        var template = Array("\(parent)/walbench-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard made else { throw BenchError.posix("mkdtemp", path: parent) }
        path = template.withUnsafeBufferPointer { buffer in
            String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }

    /// A path for a new, not yet existing directory named after the run.
    func freshPath(_ name: String) -> String {
        counter += 1
        return "\(path)/\(counter)-\(name)"
    }

    /// Removes the directory and everything in it, unless asked to keep it.
    func remove() {
        if !keep { Self.removeTree(path) }
    }

    /// Removes one run's directory once the run is over, to keep disk use low.
    func discard(_ runDirectory: String) {
        if !keep { Self.removeTree(runDirectory) }
    }

    /// Removes `path` and everything under it.
    static func removeTree(_ path: String) {
        guard let stream = opendir(path) else {
            unlink(path)
            return
        }
        var children: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { children.append(name) }
        }
        closedir(stream)
        for child in children {
            let childPath = "\(path)/\(child)"
            var info = stat()
            if lstat(childPath, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
                removeTree(childPath)
            } else {
                unlink(childPath)
            }
        }
        rmdir(path)
    }

    /// Total bytes of the regular files under `path`, or of `path` itself if it is one.
    static func treeBytes(_ path: String) -> UInt64 {
        var info = stat()
        if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { return UInt64(info.st_size) }
        guard let stream = opendir(path) else { return 0 }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(stream)
        var total: UInt64 = 0
        for name in names {
            let child = "\(path)/\(name)"
            var info = stat()
            guard lstat(child, &info) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                total += treeBytes(child)
            } else if (info.st_mode & S_IFMT) == S_IFREG {
                total += UInt64(info.st_size)
            }
        }
        return total
    }
}
