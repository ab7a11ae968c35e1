import WriteAheadLog

/// Keeps a snapshot being streamed to its file from filling the page
/// cache: every ``window`` bytes it starts writing the new window back to
/// the disk and drops the window before it from the cache (waiting for
/// its write-back if that is not done yet).
///
/// Why: a snapshot of ten million nodes is about a gigabyte. Written
/// through the page cache as it was, it took a gigabyte of fresh pages
/// while the committing thread was growing the graph in fresh pages too,
/// and left all of it for the final fsync to write. With write-behind the
/// snapshot holds two windows of cache at a time and the fsync finds
/// little left to do. Durability is unchanged: the fsync still makes the
/// file durable, before the rename.
struct WriteBehind {
    static let window: UInt64 = 8 << 20

    let file: any StorageFile
    /// Where the window being filled starts.
    private(set) var windowStart: UInt64 = 0
    /// The window handed to write-back last, to drop once the next is.
    private(set) var previous: Range<UInt64>?

    init(file: any StorageFile) {
        self.file = file
    }

    /// The bytes below `end` are written (a write that ends lower, such as
    /// a header written last at the start of the file, changes nothing).
    mutating func wrote(upTo end: UInt64) {
        guard end >= windowStart + Self.window else { return }
        let current = windowStart..<end
        file.startWriteBack(current)
        if let previous { file.dropWritten(previous) }
        previous = current
        windowStart = end
    }
}
