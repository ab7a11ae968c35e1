#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import WriteAheadLog

/// Reads a snapshot file whole, with errors an operator can act on.
enum SnapshotFile {
    /// The file's bytes.
    ///
    /// - Throws: ``ExitStatus/noInput`` when it is missing, a directory or
    ///   unreadable; ``ExitStatus/failed`` when reading fails midway.
    static func read(_ path: String) throws(WalctlFailure) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT { throw WalctlFailure(.noInput, "\(path): no such file") }
            throw WalctlFailure(.noInput, "\(path): cannot read it: \(errnoText(code))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw WalctlFailure(.noInput, "\(path): not a regular file (a snapshot is one file)")
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw WalctlFailure(.noInput, "\(path): cannot open it: \(errnoText(errno))")
        }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pread(fd, base + done, buffer.count - done, off_t(done))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw WalctlFailure(.failed, "\(path): read failed at offset \(done): \(errnoText(errno))")
            }
            if count == 0 { break }
            done += count
        }
        // A file that shrank while being read is judged by what was read.
        return Array(bytes[0..<done])
    }
}
