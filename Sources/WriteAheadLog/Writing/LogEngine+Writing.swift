import Synchronization

extension LogEngine {
    /// Makes sure every record up to `lsn` is in the kernel.
    @usableFromInline
    func ensureWritten(_ lsn: LSN) throws {
        if writtenMirror.load(ordering: .acquiring) >= lsn.rawValue { return }
        try writePending()
    }

    /// The most capacity the append buffers keep between writes: what
    /// groups of ordinary commits need. A transaction of hundreds of
    /// megabytes would otherwise pin that much memory in each of the two
    /// buffers (the one appended to and the one written from) for as long
    /// as the log is open.
    static var keptBufferCapacity: Int { 4 << 20 }

    /// Hands every pending byte to the kernel, rotating segments where the
    /// appenders marked it. Whoever gets the write lock writes the bytes of
    /// every committer that appended before it: one `pwrite` for the group.
    func writePending() throws {
        try writer.withLock { writer in
            try checkHealthy("write")
            let lastLSN: LSN = append.withLock { state in
                swap(&state.buffer, &writer.spare)
                swap(&state.breaks, &writer.spareBreaks)
                return state.lastAppendedLSN
            }
            guard !writer.spare.isEmpty || !writer.spareBreaks.isEmpty else { return }
            defer {
                // Reused while it is small; a large transaction's memory is
                // given back once its bytes are written.
                writer.spare.removeAll(keepingCapacity: writer.spare.capacity <= Self.keptBufferCapacity)
                writer.spareBreaks.removeAll(keepingCapacity: true)
            }
            do {
                var start = 0
                for segmentBreak in writer.spareBreaks {
                    try write(from: start, to: segmentBreak.bufferOffset, upTo: segmentBreak.lastLSNBefore, &writer)
                    try rotate(&writer, at: segmentBreak)
                    start = segmentBreak.bufferOffset
                }
                try write(from: start, to: writer.spare.count, upTo: lastLSN, &writer)
            } catch {
                poison(error)
                throw error
            }
        }
    }

    private func write(from start: Int, to end: Int, upTo lsn: LSN, _ writer: inout WriterState) throws {
        guard end > start else { return }
        let offset = writer.fileOffset
        let count = end - start
        if writer.mapping != nil, offset + UInt64(count) > UInt64(writer.mapping?.size ?? 0) {
            try growMapping(&writer, toHold: offset + UInt64(count))
        }
        if let mapping = writer.mapping {
            storeRecords(&writer, from: start, to: end, into: mapping, at: Int(offset))
            if offset + UInt64(count) + Self.prefaultWindow / 2 > writer.prefaultedEnd, !writer.prefaultRequested {
                writer.prefaultRequested = true
                requestPrefault()
            }
        } else {
            let file = writer.file
            try writer.spare.withUnsafeBytes { bytes in
                try file.write(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), at: offset)
            }
        }
        writer.fileOffset += UInt64(end - start)
        writer.writtenLSN = lsn
        metrics.recordWrite(bytes: end - start)
        publishWritten(lsn)
    }

    /// Seals the active segment and starts the next one.
    ///
    /// The data is fsynced before the sealed flag is written, and the flag
    /// is fsynced before the next segment exists: a crash at any point
    /// leaves either an unsealed last segment (appending resumes) or a
    /// complete sealed one (the next open starts a new segment after it).
    private func rotate(_ writer: inout WriterState, at segmentBreak: SegmentBreak) throws {
        // A sealed segment ends exactly at its last record: drop the mapping
        // (touching it past a truncation would fault) and cut whatever lies
        // past the written end (preallocated space, or zeros a crash left
        // that appending resumed before) before the data is synced and the
        // flag written.
        writer.mapping = nil
        try writer.file.truncate(to: writer.fileOffset)
        let (sealing, base) = (writer.file, writer.baseLSN)
        try fsyncing("rotate") {
            try sealing.sync()
            try directory.seal(sealing, baseLSN: base)
        }
        publishDurable(segmentBreak.lastLSNBefore)
        let file = try directory.create(segmentBreak.newID, baseLSN: segmentBreak.newBaseLSN)
        try directory.fileSystem.syncDirectory(directory.root)
        writer.file = file
        writer.segmentID = segmentBreak.newID
        writer.baseLSN = segmentBreak.newBaseLSN
        writer.fileOffset = UInt64(SegmentHeader.size)
        writer.mapping = try prepareForAppending(file, from: writer.fileOffset)
    }
}
