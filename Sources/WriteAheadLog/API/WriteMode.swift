/// How commit bytes reach the kernel. Either way they are there before a
/// commit returns, so a killed process loses nothing committed.
public enum WriteMode: String, Sendable, CaseIterable {
    /// Segments are preallocated (`fallocate`) and written through a shared
    /// mapping: a commit is a copy into page-cache pages, with no system
    /// call. Preallocation keeps file-size changes out of every fdatasync
    /// and reserves the blocks, so a full disk fails at preallocation with
    /// a clear error instead of faulting a write into the mapping. Falls
    /// back to `.writeCalls` where the file system cannot preallocate.
    ///
    /// Under `SyncMode.always` segments are preallocated but not mapped:
    /// each group of commits is written with one `pwrite`. Every group is
    /// followed by an fdatasync there, which for mapped pages must first
    /// write-protect them on every core; that costs more than the write
    /// call it saves (see Benchmarks/README.md).
    case mappedSegments
    /// One `pwrite` per group of commits.
    case writeCalls
}
