#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A whole file mapped read-only into memory, unmapped when released.
///
/// For reading a large file once, front to back (a snapshot at recovery):
/// the pages are the page cache's, so nothing is copied and no anonymous
/// memory the size of the file is zeroed and held while it is decoded.
/// The mapping is private and read-only; a file replaced by a rename
/// meanwhile stays mapped as it was.
package final class MappedFile: @unchecked Sendable {
    /// The file's bytes, valid while this object lives.
    package let bytes: UnsafeRawBufferPointer

    private init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    /// Maps the file at `path`, its pages read in up front; nil for an
    /// empty file (which cannot be mapped).
    package static func map(_ path: String) throws -> MappedFile? {
        let fd = retryingEINTR { open(path, O_RDONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw WALError(.io, "cannot open file", operation: "open", path: path, errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw WALError(.io, "cannot read the file's size", operation: "fstat", path: path, errno: errno) }
        guard info.st_size > 0 else { return nil }
        let size = Int(info.st_size)
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0), base != MAP_FAILED else {
            throw WALError(.io, "cannot map the file", operation: "mmap", path: path, errno: errno)
        }
        return MappedFile(bytes: UnsafeRawBufferPointer(start: base, count: size))
    }
}
