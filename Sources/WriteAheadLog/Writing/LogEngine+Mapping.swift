import Synchronization

extension LogEngine {
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
    func storeRecords(_ writer: inout WriterState, from start: Int, to end: Int, into mapping: any MappedRegion, at offset: Int) {
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
    func growMapping(_ writer: inout WriterState, toHold end: UInt64) throws {
        let size = Self.roundUp(max(end, UInt64(writer.mapping?.size ?? 0) * 2))
        writer.mapping = nil
        guard try writer.file.reserveSpace(to: size) else { return }
        writer.mapping = try writer.file.map(size: Int(size))
    }

    static let mappingGranule: UInt64 = 1 << 20

    /// How far ahead of the write position the flusher keeps the mapping
    /// prefaulted. Asked again once half of it is used: at 250 MB/s of
    /// commits, the other half lasts about a millisecond, against about
    /// 60 µs to prefault it.
    ///
    /// Small, because a prefaulted page is dirty: every fsync before the
    /// records reach it write-protects it again (a TLB-shootdown IPI to
    /// the committing thread's CPU) and the first record written into it
    /// then takes a write fault. With 8 MiB and a graph writing 40 MB/s,
    /// each page was cleaned about four times before it was written, and
    /// that was a quarter of the process's CPU time (Benchmarks/README.md).
    static let prefaultWindow: UInt64 = 512 << 10

    /// Asks the flusher thread to prefault ahead of the write position:
    /// the page-cache allocation and zero-filling a first write into a
    /// page would cost happen there instead of on a committer's thread.
    func requestPrefault() {
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
}
