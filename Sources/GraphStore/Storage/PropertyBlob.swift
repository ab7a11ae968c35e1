import WriteAheadLog

/// A node's or relationship's properties as one byte buffer, keys as
/// their numbers in the store's ``NameTable``.
///
/// Why not `[String: PropertyValue]`: a dictionary of three properties
/// costs a hash table allocation, its key strings and a value enum of 24
/// bytes per slot, and a path copy retains all of it; this costs one
/// allocation of about the values' own size. Reads decode (O(size)); a
/// write re-encodes the record's properties.
///
/// Layout: empty for no properties; otherwise a varint count, then per
/// property the varint key number and the value as `BinaryWriting.swift`
/// encodes it (nested maps keep their string keys), ascending by key
/// number. One encoding per content and table, so blobs made with tables
/// that agree compare byte for byte.
struct PropertyBlob: Sendable, Equatable {
    let bytes: [UInt8]

    static let empty = PropertyBlob(bytes: [])

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Encodes `properties` when every key has a number in `keys`; nil
    /// otherwise (``init(_:keys:)`` numbers them).
    init?(_ properties: [String: PropertyValue], knownKeys keys: borrowing NameTable) {
        guard !properties.isEmpty else {
            self = .empty
            return
        }
        guard properties.count <= 16 else { return nil }
        guard let bytes = Self.encodeFew(properties, keys: keys) else { return nil }
        self.init(bytes: bytes)
    }

    /// Encodes `properties`, interning their keys in `keys`.
    ///
    /// New keys are numbered in name order, not in the dictionary's
    /// (which depends on its history): replaying the same events numbers
    /// them the same way, so the replayed store writes the same snapshot.
    init(_ properties: [String: PropertyValue], keys: inout NameTable) {
        guard !properties.isEmpty else {
            self = .empty
            return
        }
        if properties.count <= 16 {
            guard let bytes = Self.encodeFew(properties, keys: keys) else {
                for name in properties.keys.sorted() { _ = keys.intern(name) }
                self.init(properties, keys: &keys)
                return
            }
            self.init(bytes: bytes)
            return
        }
        var pairs: [(key: UInt32, value: PropertyValue)] = []
        pairs.reserveCapacity(properties.count)
        for (key, value) in properties {
            guard let id = keys.id(of: key) else {
                for name in properties.keys.sorted() { _ = keys.intern(name) }
                self.init(properties, keys: &keys)
                return
            }
            pairs.append((id, value))
        }
        if pairs.count > 1 { pairs.sort { $0.key < $1.key } }
        self.init(sortedPairs: pairs)
    }

    /// The encoding of a few properties (a node's usual handful), their
    /// positions sorted by key number on the stack, sparing the sorted
    /// pairs' array and the values' retains. Nil when a key has no number.
    private static func encodeFew(_ properties: [String: PropertyValue], keys: borrowing NameTable) -> [UInt8]? {
        typealias Position = (key: UInt32, index: Dictionary<String, PropertyValue>.Index)
        return withUnsafeTemporaryAllocation(of: Position.self, capacity: properties.count) { order -> [UInt8]? in
            var count = 0
            defer { _ = order.prefix(count).deinitialize() }
            var size = varintSize(UInt64(properties.count))
            for index in properties.indices {
                guard let key = keys.id(of: properties[index].key) else { return nil }
                size += varintSize(UInt64(key)) + properties[index].value.encodedSize
                order.insertSorted((key, index), count: count) { $0.key < $1.key }
                count += 1
            }
            var buffer: [UInt8] = []
            buffer.reserveCapacity(size)
            buffer.appendVarint(UInt64(count))
            for position in 0..<count {
                buffer.appendVarint(UInt64(order[position].key))
                buffer.appendValue(properties[order[position].index].value)
            }
            return buffer
        }
    }

    /// Encodes pairs ascending by key number, into a buffer of exactly their size.
    init(sortedPairs pairs: [(key: UInt32, value: PropertyValue)]) {
        guard !pairs.isEmpty else {
            self = .empty
            return
        }
        var size = varintSize(UInt64(pairs.count))
        for (key, value) in pairs { size += varintSize(UInt64(key)) + value.encodedSize }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(size)
        buffer.appendVarint(UInt64(pairs.count))
        for (key, value) in pairs {
            buffer.appendVarint(UInt64(key))
            buffer.appendValue(value)
        }
        bytes = buffer
    }

    /// Builds the record's bytes from values already encoded in `bytes`
    /// (a logged event's), given ascending by key number: the count, then
    /// each key number and its value's bytes, copied as they are.
    init(valueRanges pairs: some Collection<(key: UInt32, value: Range<Int>)>, in bytes: UnsafeRawBufferPointer) {
        guard !pairs.isEmpty else {
            self = .empty
            return
        }
        var size = varintSize(UInt64(pairs.count))
        for (key, value) in pairs { size += varintSize(UInt64(key)) + value.count }
        self.init(bytes: [UInt8](exactly: size) { output in
            var offset = writeVarint(UInt64(pairs.count), to: output, at: 0)
            for (key, value) in pairs {
                offset = writeVarint(UInt64(key), to: output, at: offset)
                UnsafeMutableRawBufferPointer(rebasing: output[offset..<(offset + value.count)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[value]))
                offset += value.count
            }
        })
    }

    var isEmpty: Bool { bytes.isEmpty }

    /// The pairs, ascending by key number.
    var pairs: [(key: UInt32, value: PropertyValue)] {
        var result: [(key: UInt32, value: PropertyValue)] = []
        forEach { result.append(($0, $1)) }
        return result
    }

    /// Calls `body` with each key number and value, ascending by key number,
    /// until it returns false.
    func forEachWhile(_ body: (UInt32, PropertyValue) -> Bool) {
        guard !bytes.isEmpty else { return }
        // The bytes were encoded by this type or validated on load, so a
        // failure here is a bug, not bad data: stop at what was read.
        do throws(WALError) {
            try withReader(over: bytes) { reader throws(WALError) in
                let count = try reader.readVarint("property count")
                for _ in 0..<count {
                    let key = UInt32(truncatingIfNeeded: try reader.readVarint("property key"))
                    let value = try reader.readValue("property value")
                    guard body(key, value) else { return }
                }
            }
        } catch {
            assertionFailure("a stored property blob does not decode: \(error)")
        }
    }

    /// Calls `body` with each key number and value until it returns false.
    func forEach(_ body: (UInt32, PropertyValue) -> Void) {
        forEachWhile { key, value -> Bool in
            body(key, value)
            return true
        }
    }

    /// The value under key number `key`, if any. O(size).
    func value(for key: UInt32) -> PropertyValue? {
        var found: PropertyValue?
        forEachWhile { candidate, value -> Bool in
            if candidate == key { found = value }
            return candidate < key
        }
        return found
    }

    /// The properties by name.
    func decoded(keys: NameTable) -> [String: PropertyValue] {
        guard !bytes.isEmpty else { return [:] }
        var result: [String: PropertyValue] = [:]
        forEach { (key: UInt32, value: PropertyValue) in
            if let name = keys.name(key) { result[name] = value }
        }
        return result
    }

    /// This blob with key number `key` set to `value` (removed when nil),
    /// and the value it had.
    func replacing(_ key: UInt32, with value: PropertyValue?) -> (blob: PropertyBlob, old: PropertyValue?) {
        var pairs = self.pairs
        let index = pairs.firstIndex { $0.key >= key } ?? pairs.endIndex
        var old: PropertyValue?
        if index < pairs.endIndex, pairs[index].key == key {
            old = pairs[index].value
            if let value { pairs[index].value = value } else { pairs.remove(at: index) }
        } else if let value {
            pairs.insert((key, value), at: index)
        }
        return (PropertyBlob(sortedPairs: pairs), old)
    }

    /// A blob of a copy of `raw`, bytes read from a snapshot, checked: the
    /// layout above, key numbers below `keyCount` and strictly ascending,
    /// values the codec accepts.
    ///
    /// The common case is checked where the bytes lie, then copied once;
    /// anything else is copied and checked through the reader.
    init(validating raw: UnsafeRawBufferPointer, keyCount: Int) throws(WALError) {
        try Self.validate(raw, keyCount: keyCount)
        self.init(bytes: Array(raw))
    }

    /// The check of ``init(validating:keyCount:)`` alone, where the bytes
    /// lie: a snapshot's reader thread checks, its builder copies.
    static func validate(_ raw: UnsafeRawBufferPointer, keyCount: Int) throws(WALError) {
        guard !raw.isEmpty, !isPlainAndValid(raw, keyCount: keyCount) else { return }
        try validateWithReader(raw, keyCount: keyCount)
    }

    /// The check of ``init(validating:keyCount:)`` through `BinaryReader`,
    /// for every form the codec accepts, naming what is wrong.
    static func validateWithReader(_ raw: UnsafeRawBufferPointer, keyCount: Int) throws(WALError) {
        guard !raw.isEmpty else { return }
        var reader = BinaryReader(raw)
        try checkPairs(&reader, keyCount: keyCount)
    }

    /// The reader's check of a whole, non-empty encoding.
    private static func checkPairs(_ reader: inout BinaryReader, keyCount: Int) throws(WALError) {
        let count = try reader.readCount("property count", minimumElementSize: 2)
        guard count > 0 else { throw WALError(.eventDecoding, "an encoded property list holds no properties") }
        var previous: UInt64? = nil
        for index in 0..<count {
            let key = try reader.readVarint("key of property \(index)")
            guard key < UInt64(keyCount) else {
                throw WALError(.eventDecoding, "property \(index) has key number \(key), not in the table of \(keyCount)")
            }
            if let previous, key <= previous {
                throw WALError(.eventDecoding, "property \(index) has key number \(key), not above the previous \(previous)")
            }
            previous = key
            try reader.skipValue("value of property \(index)")
        }
        guard reader.isAtEnd else {
            throw WALError(.eventDecoding, "\(reader.remaining) bytes left over after \(count) properties")
        }
    }
}

extension PropertyBlob {
    /// The common case of ``init(validating:keyCount:)`` in one pass: plain
    /// values (no lists or maps) and varints in their shortest form, as
    /// this build writes them. False for anything else, valid or not; the
    /// reader then decides, and names what is wrong. Loading a snapshot
    /// checks every record, so this is most of a snapshot load's checking.
    static func isPlainAndValid(_ bytes: [UInt8], keyCount: Int) -> Bool {
        bytes.withUnsafeBytes { isPlainAndValid($0, keyCount: keyCount) }
    }

    /// The same over bytes wherever they lie.
    static func isPlainAndValid(_ raw: UnsafeRawBufferPointer, keyCount: Int) -> Bool {
        var cursor = PlainCursor(raw)
        guard let count = cursor.varint(), count > 0 else { return false }
        var previous: UInt64?
        for _ in 0..<count {
            guard let key = cursor.varint(), key < UInt64(keyCount), previous.map({ key > $0 }) ?? true,
                cursor.plainValue() != nil
            else { return false }
            previous = key
        }
        return cursor.isAtEnd
    }
}

/// The bytes `appendVarint` writes for `value`.
func varintSize(_ value: UInt64) -> Int {
    value < 0x80 ? 1 : (64 - value.leadingZeroBitCount + 6) / 7
}

/// The bytes `appendVarString` writes for `text`.
func encodedStringSize(_ text: String) -> Int {
    let count = text.utf8.count
    return varintSize(UInt64(count)) + count
}

extension PropertyValue {
    /// The bytes `appendValue` writes for this value.
    @inline(__always)
    var encodedSize: Int {
        switch self {
        case .null, .bool: 1
        case .int(let number): 1 + varintSize(UInt64(bitPattern: (number << 1) ^ (number >> 63)))
        case .double: 9
        case .string(let text): 1 + varintSize(UInt64(text.utf8.count)) + text.utf8.count
        case .bytes(let bytes): 1 + varintSize(UInt64(bytes.count)) + bytes.count
        case .list, .map: nestedEncodedSize
        }
    }

    /// ``encodedSize`` of a list or a map, out of line: the scalar cases
    /// are inlined where a value is read in place, so sizing it copies
    /// nothing.
    @inline(never)
    private var nestedEncodedSize: Int {
        switch self {
        case .null, .bool, .int, .double, .string, .bytes: encodedSize
        case .list(let items): items.reduce(1 + varintSize(UInt64(items.count))) { $0 + $1.encodedSize }
        case .map(let entries):
            entries.reduce(1 + varintSize(UInt64(entries.count))) {
                $0 + varintSize(UInt64($1.key.utf8.count)) + $1.key.utf8.count + $1.value.encodedSize
            }
        }
    }
}
