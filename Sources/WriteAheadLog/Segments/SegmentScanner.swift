/// What the scanner found at its position.
enum ScanStep {
    /// A valid record; its payload is in the bytes handed to the visitor.
    case record
    /// The end of the file, right after a record.
    case end
    /// Zero bytes from `offset` to the end of the file: unwritten space.
    case zeroTail(offset: UInt64)
    /// Bytes at `offset` are not a valid record.
    case damaged(offset: UInt64, reason: String)
}

/// Reads the records of one segment front to back in large chunks.
///
/// Memory stays at one chunk (1 MiB) unless a single record is larger, and
/// each read syscall covers many records: replay speed is bounded by the
/// checksum and the event decoder, not by system calls.
struct SegmentScanner {
    static let chunkSize = 1 << 20

    let file: any StorageFile
    let fileSize: UInt64
    private var buffer: [UInt8]
    /// File offset of `buffer[0]`.
    private var bufferOffset: UInt64
    private var bufferCount = 0
    private var cursor = 0

    /// Starts scanning right after the header.
    init(file: any StorageFile, fileSize: UInt64, from offset: UInt64 = UInt64(SegmentHeader.size)) {
        self.file = file
        self.fileSize = fileSize
        self.buffer = [UInt8](repeating: 0, count: Int(min(UInt64(Self.chunkSize), max(fileSize, 1))))
        self.bufferOffset = offset
    }

    /// The file offset of the next record.
    var position: UInt64 { bufferOffset + UInt64(cursor) }

    /// Parses the next record and, if it is valid, hands its frame and the
    /// bytes its offsets refer to to `visit`.
    mutating func next(
        _ visit: (RecordFrame, UnsafeRawBufferPointer) throws -> Void
    ) throws -> ScanStep {
        while true {
            if position >= fileSize { return .end }
            let parse = buffer.withUnsafeBytes { bytes in
                RecordCodec.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<bufferCount]), at: cursor)
            }
            switch parse {
            case .record(let frame):
                try buffer.withUnsafeBytes { bytes in try visit(frame, bytes) }
                cursor += frame.size
                return .record
            case .needMore(let size):
                if position + UInt64(size) > fileSize {
                    if try restIsZero() { return .zeroTail(offset: position) }
                    return .damaged(
                        offset: position,
                        reason: "record of \(size) bytes runs past the end of the file (\(fileSize - position) bytes left)")
                }
                try refill(toHold: size)
            case .zeros:
                if try restIsZero() { return .zeroTail(offset: position) }
                return .damaged(offset: position, reason: "zero length field followed by non-zero bytes")
            case .damaged(let reason):
                return .damaged(offset: position, reason: reason)
            }
        }
    }

    /// Moves unread bytes to the front and reads until `size` bytes from the
    /// cursor are buffered (or the file ends).
    private mutating func refill(toHold size: Int) throws {
        let unread = bufferCount - cursor
        if cursor > 0 && unread > 0 {
            buffer.withUnsafeMutableBytes { bytes in
                bytes.baseAddress!.copyMemory(from: bytes.baseAddress! + cursor, byteCount: unread)
            }
        }
        bufferOffset += UInt64(cursor)
        cursor = 0
        bufferCount = unread
        let wanted = max(size, min(Self.chunkSize, Int(clamping: fileSize - bufferOffset)))
        if buffer.count < wanted { buffer.append(contentsOf: repeatElement(0, count: wanted - buffer.count)) }
        let fileOffset = bufferOffset + UInt64(bufferCount)
        let start = bufferCount
        let read = try buffer.withUnsafeMutableBytes { bytes in
            try file.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[start...]), at: fileOffset)
        }
        bufferCount += read
    }

    /// Whether every byte from the cursor to the end of the file is zero.
    private mutating func restIsZero() throws -> Bool {
        var offset = position
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while offset < fileSize {
            let count = try chunk.withUnsafeMutableBytes { bytes in
                try file.read(into: bytes, at: offset)
            }
            if count == 0 { break }
            if chunk[0..<count].contains(where: { $0 != 0 }) { return false }
            offset += UInt64(count)
        }
        return true
    }

    /// Whether some valid record with an LSN above `lastLSN` starts anywhere
    /// after `offset`: it tells damage in the middle of a log (valid records
    /// follow) from a torn tail (nothing valid follows). Returns its offset.
    ///
    /// Every byte offset is a candidate, so the cost grows with the damaged
    /// span; it runs only when damage was found.
    static func validRecordExists(
        in file: any StorageFile, fileSize: UInt64, after offset: UInt64, above lastLSN: LSN
    ) throws -> UInt64? {
        let window = 1 << 20
        var buffer = [UInt8](repeating: 0, count: window)
        var start = offset + 1
        while start + UInt64(RecordFrame.minimumSize) <= fileSize {
            let count = try buffer.withUnsafeMutableBytes { bytes in
                try file.read(into: bytes, at: start)
            }
            var needsLongerRead: [(Int, Int)] = []
            let found: Int? = buffer.withUnsafeBytes { bytes in
                let view = UnsafeRawBufferPointer(rebasing: bytes[0..<count])
                for candidate in 0..<count {
                    switch RecordCodec.parse(view, at: candidate) {
                    case .record(let frame) where frame.lsn > lastLSN:
                        return candidate
                    case .needMore(let size) where start + UInt64(candidate + size) <= fileSize:
                        needsLongerRead.append((candidate, size))
                    default:
                        continue
                    }
                }
                return nil
            }
            if let found { return start + UInt64(found) }
            for (candidate, size) in needsLongerRead {
                var record = [UInt8](repeating: 0, count: size)
                let got = try record.withUnsafeMutableBytes { bytes in
                    try file.read(into: bytes, at: start + UInt64(candidate))
                }
                let valid = record.withUnsafeBytes { bytes -> Bool in
                    if case .record(let frame) = RecordCodec.parse(UnsafeRawBufferPointer(rebasing: bytes[0..<got]), at: 0) {
                        return frame.lsn > lastLSN
                    }
                    return false
                }
                if valid { return start + UInt64(candidate) }
            }
            start += UInt64(window)
        }
        return nil
    }
}
