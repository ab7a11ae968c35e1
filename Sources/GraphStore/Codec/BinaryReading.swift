import WriteAheadLog

/// A bounds-checked cursor over the bytes of one event or snapshot body:
/// the reading side of the encoding in `BinaryWriting.swift`.
///
/// Why not `WriteAheadLog.ByteReader`, the log's general reader: decoders
/// of graph events and snapshots need more than bounds checks, namely the
/// field a failed read was reading and a cap on nesting. They take the
/// bytes from a `ByteReader` once and read them here.
///
/// Every read names the field it was reading (built lazily, so the happy
/// path pays nothing) and the byte where it started. Counts and lengths are
/// checked against the bytes that remain before anything is allocated, so
/// a corrupt length can neither crash the decoder nor make it reserve
/// gigabytes; nesting is capped at ``PropertyValue/maximumNestingDepth`` so
/// a hostile value cannot exhaust the stack.
struct BinaryReader {
    private let bytes: UnsafeRawBufferPointer
    /// The offset of the next byte to read.
    private(set) var position = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - position }
    var isAtEnd: Bool { position == bytes.count }

    private func failure(_ message: String) -> WALError {
        WALError(.eventDecoding, message)
    }

    /// Reads one byte; the caller has checked that one remains.
    private mutating func nextByte() -> UInt8 {
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readByte(_ what: @autoclosure () -> String) throws(WALError) -> UInt8 {
        guard !isAtEnd else { throw failure("the \(what()) at byte \(position) is cut short") }
        return nextByte()
    }

    mutating func readUInt64(_ what: @autoclosure () -> String) throws(WALError) -> UInt64 {
        guard remaining >= 8 else { throw failure("the \(what()) at byte \(position) is cut short") }
        defer { position += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }

    /// Hands the next `count` bytes (already checked to remain) to `body`.
    private mutating func take<Result>(_ count: Int, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        defer { position += count }
        return body(UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)]))
    }

    mutating func readVarint(_ what: @autoclosure () -> String) throws(WALError) -> UInt64 {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard !isAtEnd else {
                throw failure("the \(what()) at byte \(start) is cut short")
            }
            let byte = nextByte()
            // The tenth byte may only carry the top bit of a UInt64.
            if shift == 63, byte > 1 {
                throw failure("the \(what()) at byte \(start) does not fit in 64 bits")
            }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func readZigZag(_ what: @autoclosure () -> String) throws(WALError) -> Int64 {
        let raw = try readVarint(what())
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// Reads an element count and checks that the bytes left could hold that
    /// many elements of at least `minimumElementSize` bytes each.
    mutating func readCount(
        _ what: @autoclosure () -> String, minimumElementSize: Int
    ) throws(WALError) -> Int {
        let start = position
        let count = try readVarint(what())
        guard count <= UInt64(remaining / minimumElementSize) else {
            throw failure(
                "the \(what()) at byte \(start) claims \(count) elements but only \(remaining) bytes remain")
        }
        return Int(count)
    }

    /// Reads a byte length and checks that that many bytes remain.
    private mutating func readLength(_ what: @autoclosure () -> String) throws(WALError) -> Int {
        let start = position
        let length = try readVarint(what())
        guard length <= UInt64(remaining) else {
            throw failure("the \(what()) at byte \(start) claims \(length) bytes but only \(remaining) remain")
        }
        return Int(length)
    }

    mutating func readVarString(_ what: @autoclosure () -> String) throws(WALError) -> String {
        let start = position
        let length = try readLength(what())
        let string = take(length) { bytes -> String? in
            let utf8 = bytes.assumingMemoryBound(to: UInt8.self)
            // ASCII is valid UTF-8, and decoding it is specialised here;
            // `String(validating:)` goes through generic metadata lookups
            // that cost more than the decoding of a short key.
            if isASCII(utf8) { return String(decoding: utf8, as: UTF8.self) }
            return String(validating: utf8, as: UTF8.self)
        }
        guard let string else {
            throw failure("the \(what()) at byte \(start) is not valid UTF-8")
        }
        return string
    }

    mutating func readVarBytes(_ what: @autoclosure () -> String) throws(WALError) -> [UInt8] {
        let length = try readLength(what())
        return take(length) { Array($0) }
    }

    /// ``readVarBytes(_:)`` without the copy: the bytes where they lie,
    /// valid as long as the buffer the reader reads.
    mutating func readVarBytesInPlace(_ what: @autoclosure () -> String) throws(WALError) -> UnsafeRawBufferPointer {
        let length = try readLength(what())
        return take(length) { $0 }
    }

    /// Checks the value at the reader and moves past it without building
    /// it: scalars and strings allocate nothing (snapshot loads check every
    /// stored value this way). Lists and maps are read and dropped.
    mutating func skipValue(_ what: @autoclosure () -> String) throws(WALError) {
        let start = position
        switch try readValueTag(what()) {
        case .null, .false, .true: return
        case .int: _ = try readVarint(what())
        case .double: _ = try readUInt64(what())
        case .bytes: position += try readLength(what())
        case .string:
            let length = try readLength(what())
            let valid = take(length) { bytes in
                // ASCII, the common case, is valid UTF-8 without decoding.
                let utf8 = bytes.assumingMemoryBound(to: UInt8.self)
                return isASCII(utf8) || String(validating: utf8, as: UTF8.self) != nil
            }
            guard valid else { throw failure("the \(what()) at byte \(start) is not valid UTF-8") }
        case .list, .map:
            position = start
            _ = try readValue(what())
        }
    }

    mutating func readLabels(_ what: @autoclosure () -> String) throws(WALError) -> Set<String> {
        let start = position
        let count = try readCount(what(), minimumElementSize: 1)
        var labels = Set<String>(minimumCapacity: count)
        for index in 0..<count {
            let label = try readVarString("label \(index) of the \(what())")
            guard labels.insert(label).inserted else {
                throw failure("the \(what()) at byte \(start) repeats the label \(quoted(label))")
            }
        }
        return labels
    }

    /// Reads a property map. `depth` is how many lists and maps enclose it.
    mutating func readProperties(
        _ what: @autoclosure () -> String, depth: Int = 0
    ) throws(WALError) -> [String: PropertyValue] {
        let start = position
        // A key costs at least its length byte, a value at least its tag.
        let count = try readCount(what(), minimumElementSize: 2)
        var properties = [String: PropertyValue](minimumCapacity: count)
        for index in 0..<count {
            let key = try readVarString("key \(index) of the \(what())")
            let value = try readValue("value of \(quoted(key)) in the \(what())", depth: depth)
            guard properties.updateValue(value, forKey: key) == nil else {
                throw failure("the \(what()) at byte \(start) repeats the key \(quoted(key))")
            }
        }
        return properties
    }

    /// Reads the tag that starts a value.
    private mutating func readValueTag(_ what: @autoclosure () -> String) throws(WALError) -> ValueTag {
        let start = position
        guard !isAtEnd else { throw failure("the \(what()) at byte \(start) is cut short") }
        let rawTag = nextByte()
        guard let tag = ValueTag(rawValue: rawTag) else {
            throw failure("the \(what()) at byte \(start) has unknown value tag \(rawTag)")
        }
        return tag
    }

    /// Reads a value. `depth` is how many lists and maps enclose it.
    mutating func readValue(_ what: @autoclosure () -> String, depth: Int = 0) throws(WALError) -> PropertyValue {
        let start = position
        let tag = try readValueTag(what())
        switch tag {
        case .null: return .null
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .int: return .int(try readZigZag(what()))
        case .double:
            return .double(Double(bitPattern: try readUInt64(what())))
        case .string: return .string(try readVarString(what()))
        case .bytes: return .bytes(try readVarBytes(what()))
        case .list, .map:
            guard depth < PropertyValue.maximumNestingDepth else {
                throw failure(
                    "the \(what()) at byte \(start) nests deeper than \(PropertyValue.maximumNestingDepth) levels")
            }
            if tag == .map { return .map(try readProperties(what(), depth: depth + 1)) }
            let count = try readCount(what(), minimumElementSize: 1)
            var items: [PropertyValue] = []
            items.reserveCapacity(count)
            for index in 0..<count {
                items.append(try readValue("element \(index) of the \(what())", depth: depth + 1))
            }
            return .list(items)
        }
    }
}

/// Whether every byte is below 0x80.
///
/// The words are OR-ed together and tested once, the last one overlapping
/// the one before when the length is not a multiple of eight: no branch
/// per word. A snapshot load and replay check every stored string here.
func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    let raw = UnsafeRawBufferPointer(bytes)
    let count = raw.count
    guard let base = raw.baseAddress else { return true }
    guard count >= 8 else {
        var any: UInt8 = 0
        for offset in 0..<count { any |= base.load(fromByteOffset: offset, as: UInt8.self) }
        return any < 0x80
    }
    var any = base.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
    var offset = 0
    while offset < count - 8 {
        any |= base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        offset += 8
    }
    return any & 0x8080_8080_8080_8080 == 0
}

/// A string in double quotes with escapes, for error messages.
func quoted(_ string: String) -> String {
    var text = ""
    writeQuoted(string, to: &text)
    return text
}

/// Runs `body` with a reader over `bytes[range]` (all of `bytes` by default).
///
/// `Array.withUnsafeBytes` does not pass typed errors through, so the
/// result crosses it as a `Result`.
func withReader<Result>(
    over bytes: [UInt8], range: Range<Int>? = nil, _ body: (inout BinaryReader) throws(WALError) -> Result
) throws(WALError) -> Result {
    let outcome: Swift.Result<Result, WALError> = bytes.withUnsafeBytes { buffer in
        var reader = BinaryReader(UnsafeRawBufferPointer(rebasing: buffer[range ?? 0..<buffer.count]))
        do throws(WALError) {
            return .success(try body(&reader))
        } catch {
            return .failure(error)
        }
    }
    return try outcome.get()
}
