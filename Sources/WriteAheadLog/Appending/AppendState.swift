/// A point in the append buffer where the next bytes belong to a new segment.
struct SegmentBreak: Sendable {
    var bufferOffset: Int
    /// The last LSN written to the old segment.
    var lastLSNBefore: LSN
    var newID: SegmentID
    var newBaseLSN: LSN
}

/// What the append lock guards: LSN allocation and the bytes not yet handed
/// to the kernel. Nothing in here does I/O.
struct AppendState: Sendable {
    var nextLSN: LSN
    var buffer: [UInt8] = []
    var breaks: [SegmentBreak] = []
    /// The segment new records go to, and its size including them.
    var segmentID: SegmentID
    var segmentBytes: UInt64
    /// Transactions begun through the primitives and not yet ended: rotation
    /// waits until there are none, so a transaction never spans segments.
    var openTransactions: Set<LSN> = []
    var newestSnapshotLSN: LSN = .none
    /// The time stamped on the next commit record; never goes backwards.
    var commitClock = CommitClock()
    /// The active segment has an older format (a log written by an older
    /// build): seal it at the next transaction boundary, so that records of
    /// this format start in a segment whose header says so.
    var sealsOlderFormat = false
    var closed = false
    /// Where the last record appended starts (see ``WAL/position(of:)``);
    /// nil until this handle appends one.
    var lastRecord: LogPosition?

    var lastAppendedLSN: LSN { LSN(nextLSN.rawValue - 1) }

    /// After a refused record: a payload that grew the buffer towards the
    /// record cap and was then cut leaves that capacity behind; keep only
    /// what the pending bytes need (see `LogEngine.keptBufferCapacity`).
    mutating func dropExcessCapacity() {
        guard buffer.capacity > LogEngine.keptBufferCapacity else { return }
        var kept: [UInt8] = []
        kept.reserveCapacity(buffer.count)
        kept.append(contentsOf: buffer)
        buffer = kept
    }
}
