#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

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
    /// The file's size when the scan began, lowered when a read finds the
    /// file shorter: a rotation cuts a preallocated segment to its written
    /// end while readers of the live log may be scanning it.
    private(set) var fileSize: UInt64
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
        if buffer.count < wanted { buffer += [UInt8](repeating: 0, count: wanted - buffer.count) }
        let fileOffset = bufferOffset + UInt64(bufferCount)
        let start = bufferCount
        let read = try buffer.withUnsafeMutableBytes { bytes in
            try file.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[start...]), at: fileOffset)
        }
        bufferCount += read
        // A short read that ends before the size taken at the start: the
        // file shrank under this reader. Without this the next parse would
        // ask for the same missing bytes again, forever.
        if read < buffer.count - start, fileOffset + UInt64(read) < fileSize { fileSize = fileOffset + UInt64(read) }
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
            if !chunk.withUnsafeBytes({ Self.isZero(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }) { return false }
            offset += UInt64(count)
        }
        return true
    }

    private static let zeros = [UInt8](repeating: 0, count: 64 << 10)

    /// Whether every byte is zero: `memcmp` against a zero block, so a
    /// preallocated tail of many megabytes is checked at memory speed even
    /// in a debug build.
    static func isZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        return zeros.withUnsafeBytes { zero in
            guard let zeroBase = zero.baseAddress else { return false }
            var offset = 0
            while offset < bytes.count {
                let count = min(zero.count, bytes.count - offset)
                if memcmp(base + offset, zeroBase, count) != 0 { return false }
                offset += count
            }
            return true
        }
    }

    /// What follows damage at `offset` of the active segment: a valid
    /// record (damage in the middle of the log), nothing valid (a torn
    /// tail), or, when the checksum budget ran out first, no answer.
    ///
    /// Every byte offset after the damage is a candidate, but a candidate's
    /// body is read and checksummed only when its fixed header could be one
    /// of the records the writer put there: a length within the format's
    /// bounds that fits in the file, a known kind, a transaction at or below
    /// its own LSN (a begin names itself, the others an earlier begin, a
    /// checkpoint an earlier snapshot), and an LSN above `lastLSN` but no
    /// higher than the records that fit between the damage and the
    /// candidate allow: LSNs within a segment are consecutive (the writer
    /// allocates one per record and writes them back to back; a new segment
    /// starts at the next LSN), and every record takes at least
    /// `RecordFrame.minimumSize` bytes. Without these checks every offset
    /// whose four bytes look like a length cost a read and a checksum of
    /// that many bytes: minutes for one torn record of a megabyte.
    ///
    /// The bytes checksummed are capped at a budget linear in the bytes
    /// after the damage, so the whole look-ahead reads and checksums
    /// O(bytes after the damage) for any record size. Running out of budget
    /// settles nothing: the caller must treat `undecided` as damage, never
    /// cut it as a torn tail.
    static func lookAhead(
        in file: any StorageFile, fileSize: UInt64, after offset: UInt64, lastLSN: LSN, baseLSN: LSN
    ) throws -> LookAhead {
        let span = fileSize > offset ? fileSize - offset : 0
        var result = LookAhead(outcome: .nothingValid, budget: lookAheadBudget(span: span))
        // The record at `offset` would have had the LSN after this one.
        let before = max(lastLSN.rawValue, baseLSN.rawValue > 0 ? baseLSN.rawValue - 1 : 0)
        let minimum = RecordFrame.minimumSize
        var window = [UInt8](repeating: 0, count: Int(min(UInt64(chunkSize), max(span, UInt64(minimum)))))
        var body: [UInt8] = []
        var start = offset + 1
        while start + UInt64(minimum) <= fileSize {
            let count = try window.withUnsafeMutableBytes { bytes in try file.read(into: bytes, at: start) }
            guard count >= minimum else { break }
            // Candidates whose 25 bytes lie in this window; the next window
            // starts at the first one not checked here.
            let decided = try window.withUnsafeBytes { bytes -> Bool in
                guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return false }
                let last = count - minimum
                let kinds = RecordKind.allCases.map(\.rawValue)
                let (lowestKind, highestKind) = (kinds.min() ?? 0, kinds.max() ?? 0)
                var candidate = -1
                while candidate < last {
                    candidate += 1
                    // Most offsets fail on their length or kind byte; this
                    // test runs for every byte after the damage, so it reads
                    // them directly (no generic loads, no call).
                    let length = Int(base[candidate]) | Int(base[candidate + 1]) << 8 | Int(base[candidate + 2]) << 16
                        | Int(base[candidate + 3]) << 24
                    if length == 0 {
                        // Zeros (preallocated space) hold no candidate: go
                        // on from the first offset whose length field
                        // reaches a non-zero byte.
                        candidate = max(candidate, Self.firstNonZero(base, from: candidate + 4, to: count) - 4)
                        continue
                    }
                    let kind = base[candidate + RecordFrame.Field.kind]
                    guard length >= minimum, length <= RecordFrame.maximumSize, kind >= lowestKind, kind <= highestKind else {
                        continue
                    }
                    let at = start + UInt64(candidate)
                    guard
                        plausibleHeader(
                            bytes, at: candidate, length: length, fileOffset: at, fileSize: fileSize, damageAt: offset,
                            before: before)
                    else { continue }
                    guard result.bytesChecksummed + UInt64(length) <= result.budget else {
                        result.outcome = .undecided(checkedUpTo: at)
                        return true
                    }
                    result.bytesChecksummed += UInt64(length)
                    let parse: FrameParse
                    if candidate + length <= count {
                        parse = RecordCodec.parse(UnsafeRawBufferPointer(rebasing: bytes[candidate..<(candidate + length)]), at: 0)
                    } else {
                        if body.count < length { body = [UInt8](repeating: 0, count: length) }
                        parse = try body.withUnsafeMutableBytes { record in
                            let got = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: record[0..<length]), at: at)
                            return RecordCodec.parse(UnsafeRawBufferPointer(rebasing: record[0..<got]), at: 0)
                        }
                    }
                    if case .record = parse {
                        result.outcome = .validRecord(at: at)
                        return true
                    }
                }
                return false
            }
            if decided { return result }
            // A short read is the end of the file, wherever `fileSize` said it was.
            guard count == window.count else { break }
            start += UInt64(count - minimum + 1)
        }
        return result
    }

    /// The index of the first non-zero byte in `from..<end`, or `end`.
    /// Whole blocks are compared with `memcmp`, so a long run of zeros
    /// costs little even in a debug build.
    static func firstNonZero(_ base: UnsafePointer<UInt8>, from: Int, to end: Int) -> Int {
        var index = from
        zeros.withUnsafeBytes { zero in
            guard let zeroBase = zero.baseAddress else { return }
            let block = 256
            while index + block <= end, memcmp(base + index, zeroBase, block) == 0 { index += block }
        }
        while index < end, base[index] == 0 { index += 1 }
        return index
    }

    /// The checksum budget of a look-ahead over `span` bytes: twice the
    /// span, and a mebibyte more so that a few candidates near a small
    /// tail are always checked. Genuine records after damage pass at their
    /// own offsets and cost at most the span once.
    static func lookAheadBudget(span: UInt64) -> UInt64 {
        2 * span + (1 << 20)
    }

    /// Whether the header at `index` of `bytes` (file offset `fileOffset`),
    /// whose length field reads `length`, could belong to a record the
    /// writer put after damage at `damageAt`.
    private static func plausibleHeader(
        _ bytes: UnsafeRawBufferPointer, at index: Int, length: Int, fileOffset: UInt64, fileSize: UInt64,
        damageAt: UInt64, before: UInt64
    ) -> Bool {
        guard length >= RecordFrame.minimumSize, length <= RecordFrame.maximumSize,
            fileOffset + UInt64(length) <= fileSize,
            RecordKind(rawValue: bytes[index + RecordFrame.Field.kind]) != nil
        else { return false }
        let lsn = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index + RecordFrame.Field.lsn, as: UInt64.self))
        let highest = before.addingReportingOverflow(1 + (fileOffset - damageAt) / UInt64(RecordFrame.minimumSize))
        guard lsn > before, highest.overflow || lsn <= highest.partialValue else { return false }
        let transaction = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: index + RecordFrame.Field.txBeginLSN, as: UInt64.self))
        return transaction <= lsn
    }
}

/// What the look-ahead past damage found, and the work it did.
struct LookAhead: Equatable {
    enum Outcome: Equatable {
        /// A valid record with a plausible LSN starts at this offset: the
        /// damage is not a torn tail.
        case validRecord(at: UInt64)
        /// Nothing valid follows: a torn tail.
        case nothingValid
        /// The budget ran out before the candidate at this offset:
        /// valid records after the damage cannot be ruled out.
        case undecided(checkedUpTo: UInt64)
    }

    var outcome: Outcome
    /// Bytes of candidate records read and checksummed, at most `budget`.
    var bytesChecksummed: UInt64 = 0
    var budget: UInt64
}
