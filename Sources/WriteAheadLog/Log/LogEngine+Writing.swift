import Synchronization

extension LogEngine {
    /// Makes sure every record up to `lsn` is in the kernel.
    @usableFromInline
    func ensureWritten(_ lsn: LSN) throws {
        if writtenMirror.load(ordering: .acquiring) >= lsn.rawValue { return }
        try writePending()
    }

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
                writer.spare.removeAll(keepingCapacity: true)
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
        metrics.bytesWritten.increment(by: end - start)
        metrics.writes.increment()
        publishWritten(lsn)
    }

    /// Copies the whole records in `writer.spare[start..<end]` into the
    /// mapping at `offset` so that a process killed at any instruction
    /// leaves whole records followed by a torn tail, never a hole before a
    /// valid record.
    ///
    /// `memmove` does not store its bytes front to back (glibc's vectorised
    /// copy stores the last block of a large copy before its body), so a
    /// kill during one copy of the group could leave complete later records
    /// behind zeros where earlier ones belong: damage followed by valid
    /// records, which strict recovery refuses. So the bodies go first with
    /// every length field zero, and then the length fields, one store each,
    /// front to back. A record counts only once its length is in place,
    /// and a length is stored only after every byte before it: whatever a
    /// kill interrupts reads as a zero length, the end of the valid prefix.
    /// The space past the write position is always zeros (preallocated, or
    /// cut by open and rotation), so no stale length lies in wait there.
    private func storeRecords(_ writer: inout WriterState, from start: Int, to end: Int, into mapping: any MappedRegion, at offset: Int) {
        writer.lengths.removeAll(keepingCapacity: true)
        let base = mapping.directBase
        writer.spare.withUnsafeMutableBytes { bytes in
            var position = start
            while position + 4 <= end {
                let length = bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self)
                writer.lengths.append((position - start, length))
                bytes.storeBytes(of: 0, toByteOffset: position, as: UInt32.self)
                // A record is at least `minimumSize` bytes; the appenders wrote these.
                position += max(Int(UInt32(littleEndian: length)), RecordFrame.minimumSize)
            }
            let group = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            if let base, let source = group.baseAddress {
                (base + offset).copyMemory(from: source, byteCount: group.count)
            } else {
                mapping.store(group, at: offset)
            }
        }
        for (relative, length) in writer.lengths {
            // No store may move ahead of the ones before it.
            atomicMemoryFence(ordering: .acquiringAndReleasing)
            if let base {
                (base + offset + relative).storeBytes(of: length, as: UInt32.self)
            } else {
                withUnsafeBytes(of: length) { mapping.store($0, at: offset + relative) }
            }
        }
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

    /// In `.mappedSegments` mode: reserves room for a segment's growth and,
    /// unless every commit is fsynced (`.always`), maps it. Returns nil
    /// (write calls are used) otherwise, or where the file system cannot
    /// reserve space or has none left: a mapping is never used over blocks
    /// that are not reserved.
    func prepareForAppending(_ file: any StorageFile, from offset: UInt64) throws -> (any MappedRegion)? {
        guard options.writeMode == .mappedSegments else { return nil }
        let target = max(options.segmentTargetBytes + options.segmentTargetBytes / 8, offset + Self.mappingGranule)
        let size = Self.roundUp(target)
        guard try file.reserveSpace(to: size) else { return nil }
        guard options.syncMode != .always else { return nil }
        return try file.map(size: Int(size))
    }

    /// A transaction larger than the room left: reserve and map more, or,
    /// where no more can be reserved, go on with write calls for the rest
    /// of this segment (the next segment tries again).
    private func growMapping(_ writer: inout WriterState, toHold end: UInt64) throws {
        let size = Self.roundUp(max(end, UInt64(writer.mapping?.size ?? 0) * 2))
        writer.mapping = nil
        guard try writer.file.reserveSpace(to: size) else { return }
        writer.mapping = try writer.file.map(size: Int(size))
    }

    static let mappingGranule: UInt64 = 1 << 20

    /// How far ahead of the write position the flusher keeps the mapping
    /// prefaulted. Asked again once half of it is used: at 250 MB/s of
    /// commits, the other half lasts about 16 ms, against about a
    /// millisecond to prefault it.
    static let prefaultWindow: UInt64 = 8 << 20

    /// Asks the flusher thread to prefault ahead of the write position:
    /// the page-cache allocation and zero-filling a first write into a
    /// page would cost happen there instead of on a committer's thread.
    private func requestPrefault() {
        progress.withLock { $0.prefaultRequested = true }
        progress.broadcast()
    }

    /// On the flusher thread: prefaults the next `prefaultWindow` bytes
    /// past the write position. The mapping is held by reference, not
    /// under the write lock, so commits go on meanwhile; if a rotation
    /// truncates and drops it in between, the prefault fails harmlessly.
    func prefaultAhead() {
        let plan: (mapping: any MappedRegion, range: Range<Int>)? = writer.withLock { writer in
            writer.prefaultRequested = false
            guard let mapping = writer.mapping else { return nil }
            let size = UInt64(mapping.size)
            let start = max(writer.prefaultedEnd, writer.fileOffset)
            let end = min(writer.fileOffset + Self.prefaultWindow, size)
            // Once the window reaches the end of the mapping, nothing is left
            // to ask for until a new mapping resets this.
            writer.prefaultedEnd = end == size ? .max : end
            guard start < end else { return nil }
            return (mapping, Int(start)..<Int(end))
        }
        if let plan { plan.mapping.prefault(plan.range) }
    }

    static func roundUp(_ size: UInt64) -> UInt64 {
        (size + mappingGranule - 1) / mappingGranule * mappingGranule
    }

    /// Records that everything up to `lsn` is in the kernel and wakes whoever waited for it.
    func publishWritten(_ lsn: LSN) {
        // Called under the write lock, so LSNs arrive in order.
        writtenMirror.store(lsn.rawValue, ordering: .sequentiallyConsistent)
        guard asyncWaiterCount.load(ordering: .sequentiallyConsistent) > 0 else { return }
        let ready: [AsyncWaiter] = progress.withLock { progress in
            progress.takeWaiters { !$0.durable && $0.lsn <= lsn }
        }
        resume(ready)
    }

    /// Records that an fsync outside group commit (rotation's) covered
    /// everything up to `lsn`. Threads blocked on a group fsync learn of it
    /// when their generation ends.
    func publishDurable(_ lsn: LSN) {
        resume(progress.withLock { $0.recordDurable(lsn, mirror: durableMirror) })
    }

    /// Resumes waiters taken out of the progress state.
    func resume(_ waiters: [AsyncWaiter], throwing error: (any Error)? = nil) {
        guard !waiters.isEmpty else { return }
        asyncWaiterCount.subtract(waiters.count, ordering: .sequentiallyConsistent)
        for waiter in waiters {
            if let error { waiter.continuation.resume(throwing: error) } else { waiter.continuation.resume() }
        }
    }
}
