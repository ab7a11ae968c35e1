import WriteAheadLog

/// The primitives of the graph's binary encoding, shared by events and snapshots.
///
/// ```
/// varint   unsigned LEB128: 7 bits per byte, low bits first, high bit set on
///          every byte but the last; at most 10 bytes for a UInt64
/// zigzag   an Int64 mapped to UInt64 (0, -1, 1, -2 → 0, 1, 2, 3), then varint
/// string   varint byte count, then that many bytes of UTF-8
/// bytes    varint byte count, then the bytes
/// labels   varint count, then that many strings, sorted
/// props    varint count, then (string key, value) pairs, keys sorted
/// value    u8 tag, then:
///            0 null      (nothing)
///            1 false     (nothing)
///            2 true      (nothing)
///            3 int       zigzag
///            4 double    u64 little-endian IEEE 754 bit pattern (NaN payloads kept)
///            5 string    string
///            6 bytes     bytes
///            7 list      varint count, then that many values
///            8 map       props
/// ```
///
/// Varints rather than fixed widths because ids, counts and lengths are
/// almost always small: a typical id or key length costs one byte, not
/// eight or four. Sorting labels and keys makes the encoding a function of
/// the value, so equal stores with the same intern tables give
/// byte-identical snapshots.
enum ValueTag: UInt8 {
    case null = 0
    case `false` = 1
    case `true` = 2
    case int = 3
    case double = 4
    case string = 5
    case bytes = 6
    case list = 7
    case map = 8
}

extension Array where Element == UInt8 {
    mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        append(UInt8(rest))
    }

    mutating func appendZigZag(_ value: Int64) {
        appendVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func appendVarString(_ string: String) {
        let utf8 = string.utf8
        appendVarint(UInt64(utf8.count))
        // One copy of the contiguous bytes (every native string has them):
        // appending the `UTF8View` as a sequence walks it a byte at a time.
        let copied: Void? = utf8.withContiguousStorageIfAvailable { append(contentsOf: $0) }
        if copied == nil { append(contentsOf: utf8) }
    }

    mutating func appendVarBytes(_ bytes: [UInt8]) {
        appendVarint(UInt64(bytes.count))
        append(contentsOf: bytes)
    }

    mutating func appendLabels(_ labels: Set<String>) {
        appendVarint(UInt64(labels.count))
        // The one label most nodes carry, without the index walk.
        if labels.count == 1, let only = labels.first { return appendVarString(only) }
        // Sorted, as keys are: a set has no stable order.
        labels.forEachIndexSorted(by: { labels[$0] < labels[$1] }) { appendVarString(labels[$0]) }
    }

    mutating func appendProperties(_ properties: [String: PropertyValue]) {
        properties.withSlotsSortedByName { appendProperties(sorted: $0) }
    }

    /// Appends properties already sorted by name, noting in each slot
    /// where its value's bytes landed: a record's property bytes are the
    /// same value bytes.
    mutating func appendProperties(sorted slots: UnsafeMutableBufferPointer<PropertySlot>) {
        appendVarint(UInt64(slots.count))
        for index in slots.indices {
            appendVarString(slots[index].key)
            let start = count
            appendValue(slots[index].value)
            slots[index].valueBytes = start..<count
        }
    }

    /// Appends a value. The caller makes sure it is within the nesting limit
    /// (the store refuses deeper values), so a decoder will accept it.
    mutating func appendValue(_ value: PropertyValue) {
        switch value {
        case .null: append(ValueTag.null.rawValue)
        case .bool(let flag): append(flag ? ValueTag.true.rawValue : ValueTag.false.rawValue)
        case .int(let number):
            append(ValueTag.int.rawValue)
            appendZigZag(number)
        case .double(let number):
            append(ValueTag.double.rawValue)
            appendLittleEndian(number.bitPattern)
        case .string(let text):
            append(ValueTag.string.rawValue)
            appendVarString(text)
        case .bytes(let bytes):
            append(ValueTag.bytes.rawValue)
            appendVarBytes(bytes)
        case .list(let items):
            append(ValueTag.list.rawValue)
            appendVarint(UInt64(items.count))
            for item in items { appendValue(item) }
        case .map(let entries):
            append(ValueTag.map.rawValue)
            appendProperties(entries)
        }
    }
}

extension Array where Element == UInt8 {
    /// `count` bytes, all of which `write` sets.
    ///
    /// Why not `init(unsafeUninitializedCapacity:)`: it allocates through
    /// an unspecialised entry point that looks up the storage's type
    /// metadata on every call, which costs more than the few dozen bytes a
    /// record's properties take. Reserving and zeroing is specialised.
    @inline(__always)
    init(exactly count: Int, _ write: (UnsafeMutableRawBufferPointer) -> Void) {
        self.init()
        reserveCapacity(count)
        append(contentsOf: repeatElement(0, count: count))
        withUnsafeMutableBytes(write)
    }
}

/// Writes `value` as `appendVarint` does at `offset`, which has room for
/// it; returns the offset after it.
func writeVarint(_ value: UInt64, to output: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
    var value = value
    var offset = offset
    while value >= 0x80 {
        output[offset] = UInt8(truncatingIfNeeded: value) | 0x80
        value >>= 7
        offset += 1
    }
    output[offset] = UInt8(value)
    return offset + 1
}

/// A property laid out on the stack for encoding: its name and value, and
/// what an encoder notes about it.
struct PropertySlot {
    let key: String
    let value: PropertyValue
    /// The key's number in the store's table, for a record's encoding.
    var number: UInt32 = 0
    /// Where the value's bytes landed in the buffer it was appended to.
    var valueBytes: Range<Int> = 0..<0
}

extension Dictionary where Key == String, Value == PropertyValue {
    /// Calls `body` with the properties on the stack, sorted by name: the
    /// order encodings list them in (iterating a dictionary has no stable
    /// one). One walk of the dictionary, each name and value copied once,
    /// where subscripting it by index in a sort copies them at every
    /// comparison.
    @inline(__always)
    func withSlotsSortedByName<R>(_ body: (UnsafeMutableBufferPointer<PropertySlot>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: PropertySlot.self, capacity: count) { slots in
            var filled = 0
            for (key, value) in self {
                slots.initializeElement(at: filled, to: PropertySlot(key: key, value: value))
                filled += 1
            }
            var properties = UnsafeMutableBufferPointer(rebasing: slots[..<filled])
            // Moved out one by one, which releases with the type known;
            // `deinitialize()` goes through the runtime's generic destroy.
            defer { for index in properties.indices { _ = properties.moveElement(from: index) } }
            properties.sort { $0.key < $1.key }
            return body(properties)
        }
    }
}

extension Collection {
    /// Calls `body` with each index, in the order `areInIncreasingOrder`
    /// puts them. A handful (a node's labels, its keys: the usual case) are
    /// sorted on the stack, sparing a sorted copy's allocation and retains;
    /// one needs no sort at all.
    @inline(__always)
    func forEachIndexSorted(by areInIncreasingOrder: (Index, Index) -> Bool, _ body: (Index) -> Void) {
        let count = self.count
        guard count > 1 else {
            for index in indices { body(index) }
            return
        }
        guard count <= 16 else {
            for index in indices.sorted(by: areInIncreasingOrder) { body(index) }
            return
        }
        withUnsafeTemporaryAllocation(of: Index.self, capacity: count) { order in
            var sorted = 0
            for index in indices {
                order.insertSorted(index, count: sorted, by: areInIncreasingOrder)
                sorted += 1
            }
            for position in 0..<sorted { body(order[position]) }
            _ = order.prefix(sorted).deinitialize()
        }
    }
}

extension UnsafeMutableBufferPointer {
    /// Puts `element` among the first `count` elements, initialised and
    /// sorted, keeping them sorted; there must be room for one more. One
    /// step of an insertion sort: for the handful of properties a record
    /// has, sorted on the stack.
    func insertSorted(_ element: Element, count: Int, by areInIncreasingOrder: (Element, Element) -> Bool) {
        var slot = count
        while slot > 0 && areInIncreasingOrder(element, self[slot - 1]) {
            initializeElement(at: slot, to: moveElement(from: slot - 1))
            slot -= 1
        }
        initializeElement(at: slot, to: element)
    }
}
