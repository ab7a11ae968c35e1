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

/// Where the encoders write: an array they append to, or memory sized for
/// the encoding beforehand (``ByteWriter``). One set of encoders serves
/// both, so the two cannot disagree.
protocol ByteSink {
    /// Where the next byte goes: an offset into the buffer.
    var position: Int { get }
    mutating func appendByte(_ byte: UInt8)
    mutating func appendRaw(_ bytes: UnsafeRawBufferPointer)
}

extension Array: ByteSink where Element == UInt8 {
    var position: Int { count }
    @inline(__always) mutating func appendByte(_ byte: UInt8) { append(byte) }
    @inline(__always) mutating func appendRaw(_ bytes: UnsafeRawBufferPointer) { append(contentsOf: bytes) }
}

extension ByteSink {
    mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            appendByte(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        appendByte(UInt8(rest))
    }

    mutating func appendZigZag(_ value: Int64) {
        appendVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func appendVarString(_ string: String) {
        let utf8 = string.utf8
        appendVarint(UInt64(utf8.count))
        // One copy of the contiguous bytes (every native string has them):
        // appending the `UTF8View` as a sequence walks it a byte at a time.
        let copied: Void? = utf8.withContiguousStorageIfAvailable { appendRaw(UnsafeRawBufferPointer($0)) }
        if copied == nil { for byte in utf8 { appendByte(byte) } }
    }

    mutating func appendVarBytes(_ bytes: [UInt8]) {
        appendVarint(UInt64(bytes.count))
        bytes.withUnsafeBytes { appendRaw($0) }
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
            let start = position
            appendValue(slots[index].value)
            slots[index].valueBytes = start..<position
        }
    }

    /// Appends a value. The caller makes sure it is within the nesting limit
    /// (the store refuses deeper values), so a decoder will accept it.
    ///
    /// Inlined, with lists and maps out of line: a value read in place (a
    /// slot of the write path) is then written without being copied, which
    /// for a string or bytes is a retain and a release saved.
    @inline(__always)
    mutating func appendValue(_ value: PropertyValue) {
        switch value {
        case .null: appendByte(ValueTag.null.rawValue)
        case .bool(let flag): appendByte(flag ? ValueTag.true.rawValue : ValueTag.false.rawValue)
        case .int(let number):
            appendByte(ValueTag.int.rawValue)
            appendZigZag(number)
        case .double(let number):
            appendByte(ValueTag.double.rawValue)
            withUnsafeBytes(of: number.bitPattern.littleEndian) { appendRaw($0) }
        case .string(let text):
            appendByte(ValueTag.string.rawValue)
            appendVarString(text)
        case .bytes(let bytes):
            appendByte(ValueTag.bytes.rawValue)
            appendVarBytes(bytes)
        case .list, .map: appendNestedValue(value)
        }
    }

    /// ``appendValue(_:)``'s lists and maps.
    @inline(never)
    private mutating func appendNestedValue(_ value: PropertyValue) {
        switch value {
        case .null, .bool, .int, .double, .string, .bytes: appendValue(value)
        case .list(let items):
            appendByte(ValueTag.list.rawValue)
            appendVarint(UInt64(items.count))
            for item in items { appendValue(item) }
        case .map(let entries):
            appendByte(ValueTag.map.rawValue)
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
        // A record's few dozen bytes the common way, which the optimiser
        // turns into one store; a large value a kilobyte per copy.
        if count <= zeroBytes.count {
            append(contentsOf: repeatElement(0, count: count))
        } else {
            appendZeros(count)
        }
        withUnsafeMutableBytes(write)
    }
}

/// Memory sized for an encoding beforehand, written with plain stores:
/// appending to an array checks its uniqueness and capacity at every field,
/// about half the cost of encoding a small event. A store past `end` is
/// dropped and marks the writer `overflowed`, so a size computed wrong
/// can never write outside the memory (see `Array.appendWriting`).
struct ByteWriter: ByteSink {
    private let base: UnsafeMutableRawPointer
    let end: Int
    private(set) var position: Int
    private(set) var overflowed = false

    init(base: UnsafeMutableRawPointer, from start: Int, to end: Int) {
        self.base = base
        self.position = start
        self.end = end
    }

    @inline(__always)
    mutating func appendByte(_ byte: UInt8) {
        guard position < end else { return overflowed = true }
        base.storeBytes(of: byte, toByteOffset: position, as: UInt8.self)
        position += 1
    }

    @inline(__always)
    mutating func appendRaw(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= end - position else { return overflowed = true }
        if let source = bytes.baseAddress { (base + position).copyMemory(from: source, byteCount: bytes.count) }
        position += bytes.count
    }
}

/// Zeros to extend an array with in one copy (`repeatElement` appends
/// them a byte at a time).
private let zeroBytes = [UInt8](repeating: 0, count: 1024)

extension Array where Element == UInt8 {
    /// Appends exactly `size` bytes, which `write` stores through a
    /// ``ByteWriter``. False, with the array as it was, when `write` did
    /// not store exactly that many: the size was computed wrong, and the
    /// caller encodes the slower way.
    mutating func appendWriting(size: Int, _ write: (inout ByteWriter) -> Void) -> Bool {
        let start = count
        appendZeros(size)
        let exact = withUnsafeMutableBytes { buffer -> Bool in
            guard let base = buffer.baseAddress else { return size == 0 }
            var writer = ByteWriter(base: base, from: start, to: start + size)
            write(&writer)
            return !writer.overflowed && writer.position == start + size
        }
        if !exact { removeSubrange(start...) }
        return exact
    }

    /// Appends `count` zeros, a kilobyte per copy: `repeatElement` appends
    /// them one at a time unless the optimiser specialises the call, which
    /// made a debug build take seconds for a value of a hundred megabytes.
    @inline(__always)
    mutating func appendZeros(_ count: Int) {
        var missing = count
        while missing > 0 {
            let chunk = Swift.min(missing, zeroBytes.count)
            zeroBytes.withUnsafeBytes { append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[..<chunk])) }
            missing -= chunk
        }
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
