/// A forgiving cursor for the fast paths over encoded values (replay's
/// ``EncodedReplay``, the snapshot's property check): every read returns
/// nil on anything unexpected or unusual, and the caller then takes the
/// path through `BinaryReader`, which accepts or names what is wrong. So
/// what this accepts must be a subset of what that reader accepts.
struct PlainCursor {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { position == bytes.count }

    mutating func byte() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    /// A varint in its shortest form (the only form this build writes, so
    /// copying its bytes gives what re-encoding the value would).
    mutating func varint() -> UInt64? {
        let start = position
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = byte() {
            guard shift < 63 || byte <= 1 else { return nil }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                return position - start == varintSize(result) ? result : nil
            }
            shift += 7
        }
        return nil
    }

    /// A length-prefixed run of bytes: the range of its content.
    mutating func string() -> Range<Int>? {
        guard let length = varint(), length <= UInt64(bytes.count - position) else { return nil }
        let range = position..<(position + Int(length))
        position = range.upperBound
        return range
    }

    /// A count and that many strings: the range of the whole list.
    mutating func skipStrings() -> Range<Int>? {
        let start = position
        guard let count = varint(), count <= UInt64(bytes.count - position) else { return nil }
        for _ in 0..<count { guard string() != nil else { return nil } }
        return start..<position
    }

    /// A value that is not a list or a map, checked as the decoder checks
    /// it: the range of its bytes, tag included.
    mutating func plainValue() -> Range<Int>? {
        let start = position
        guard let rawTag = byte(), let tag = ValueTag(rawValue: rawTag) else { return nil }
        switch tag {
        case .null, .false, .true:
            break
        case .int:
            guard varint() != nil else { return nil }
        case .double:
            guard bytes.count - position >= 8 else { return nil }
            position += 8
        case .bytes:
            guard string() != nil else { return nil }
        case .string:
            guard let range = string() else { return nil }
            let utf8 = UnsafeRawBufferPointer(rebasing: bytes[range]).bindMemory(to: UInt8.self)
            guard isASCII(utf8) || String(validating: utf8, as: UTF8.self) != nil else { return nil }
        case .list, .map:
            return nil
        }
        return start..<position
    }
}
