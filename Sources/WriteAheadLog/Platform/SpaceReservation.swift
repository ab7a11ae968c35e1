#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension StorageFile {
    /// Preallocates the file to `size` bytes; false where the file system
    /// cannot, or has no space left to reserve.
    ///
    /// A full disk is no reason to refuse a segment: nothing needs the
    /// space in advance. It only rules out a mapping, since a write through
    /// a mapping into blocks that are not reserved raises SIGBUS when the
    /// disk is full, where a write call fails with `ENOSPC` and the log
    /// reports it.
    func reserveSpace(to size: UInt64) throws -> Bool {
        do {
            return try preallocate(to: size)
        } catch let error as WALError where error.errno == ENOSPC {
            return false
        }
    }
}
