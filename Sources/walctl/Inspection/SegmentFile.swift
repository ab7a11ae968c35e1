import WriteAheadLog

/// One segment file as the directory listing shows it, before any byte of
/// it is read.
struct SegmentFile: Equatable {
    var id: SegmentID
    var path: String
    /// The file's size on disk.
    var bytes: UInt64

    /// The canonical file name, `0000000001.wal`.
    var name: String { id.fileName }
}
