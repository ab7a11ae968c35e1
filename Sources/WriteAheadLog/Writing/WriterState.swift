/// What the write lock guards: the active segment file and what reached it.
struct WriterState: Sendable {
    var file: any StorageFile
    var segmentID: SegmentID
    var baseLSN: LSN
    var fileOffset: UInt64
    var writtenLSN: LSN
    var oldestSegmentID: SegmentID
    /// The shared mapping of the active segment, in `.mappedSegments` mode.
    var mapping: (any MappedRegion)? {
        didSet {
            prefaultedEnd = 0
            unmappedEnd = 0
        }
    }
    /// Below this offset the flusher has unmapped `mapping`'s pages, which
    /// the writer is done with, before an fsync.
    var unmappedEnd: UInt64 = 0
    /// How far the flusher has prefaulted `mapping`, and whether it was asked to go on.
    var prefaultedEnd: UInt64 = 0
    var prefaultRequested = false
    /// The buffer swapped out of `AppendState`, kept for its capacity.
    var spare: [UInt8] = []
    var spareBreaks: [SegmentBreak] = []
    /// The length fields of the group being copied into the mapping, with
    /// their offsets in the group; kept for its capacity.
    var lengths: [(offset: Int, length: UInt32)] = []
}
