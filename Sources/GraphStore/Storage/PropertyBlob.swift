import Glibc
import WriteAheadLog

/// A node's or relationship's properties as encoded bytes, keys as their
/// numbers in the store's ``NameTable``.
///
/// Why not `[String: PropertyValue]`: a dictionary of three properties
/// costs a hash table allocation, its key strings and a value enum of 24
/// bytes per slot, and a path copy retains all of it; this costs the
/// values' own size, and 12 bytes in the record. Reads decode (O(size)); a
/// write re-encodes the record's properties.
///
/// Where the bytes are: a created record's in a pooled block shared with
/// other records' (``BlobArena``), an updated record's and a large one's
/// in memory of their own (``OwnBlob``; see ``BlobBlock`` for why). The
/// blob holds a reference to that memory and, in a block, the offset and
/// the count.
///
/// Layout: empty for no properties; otherwise a varint count, then per
/// property the varint key number and the value as `BinaryWriting.swift`
/// encodes it (nested maps keep their string keys), ascending by key
/// number. One encoding per content and table, so blobs made with tables
/// that agree compare byte for byte.
struct PropertyBlob: @unchecked Sendable {
    /// Where the bytes are: a ``BlobBlock`` when `storedCount` is not 0,
    /// else an ``OwnBlob``; nil for no properties. One reference for both
    /// kinds, told apart by the count, keeps the blob at 12 bytes.
    ///
    /// Why the blob is `@unchecked Sendable`: `ManagedBuffer`, and so
    /// ``OwnBlob``, cannot be `Sendable`. The bytes behind a blob are
    /// written before the blob exists and never changed after; a block's
    /// other bytes are claimed atomically (``BlobBlock``).
    private let storage: AnyObject?
    /// The offset of the first byte in a block.
    private let start: UInt16
    /// How many bytes, in a block; 0 for an ``OwnBlob``, which knows its own.
    private let storedCount: UInt16

    static let empty = PropertyBlob(storage: nil, start: 0, storedCount: 0)

    private init(storage: AnyObject?, start: UInt16, storedCount: UInt16) {
        self.storage = storage
        self.start = start
        self.storedCount = storedCount
    }

    /// `count` bytes (1 to ``BlobArena/largestPlaced``) at `offset` in a pooled block.
    fileprivate init(block: BlobBlock, offset: Int, count: Int) {
        self.init(storage: block, start: UInt16(offset), storedCount: UInt16(count))
    }

    /// All of `own`, memory holding this blob alone.
    fileprivate init(own: OwnBlob) {
        self.init(storage: own, start: 0, storedCount: 0)
    }

    /// A blob of its own holding a copy of `bytes`.
    init(bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { PropertyBlob(copying: $0) }
    }

    /// A blob holding a copy of `raw`, placed by `placing`.
    init(copying raw: UnsafeRawBufferPointer, in placing: inout some BlobPlacing) {
        guard !raw.isEmpty else {
            self = .empty
            return
        }
        self = placing.placeOrRewrite(count: raw.count) { $0.appendRaw(raw) }
    }

    /// A blob of its own holding a copy of `raw`.
    init(copying raw: UnsafeRawBufferPointer) {
        guard !raw.isEmpty else {
            self = .empty
            return
        }
        let own = OwnBlob.make(count: raw.count)
        if let source = raw.baseAddress { own.base.copyMemory(from: source, byteCount: raw.count) }
        self.init(own: own)
    }

    /// How many bytes the encoding takes.
    var count: Int {
        guard let storage else { return 0 }
        return storedCount == 0 ? unsafeDowncast(storage, to: OwnBlob.self).count : Int(storedCount)
    }

    var isEmpty: Bool { storage == nil }

    /// Whether the bytes are in a block shared with other blobs (rather
    /// than in memory of their own).
    var isInSharedBlock: Bool { storage != nil && storedCount != 0 }

    /// Calls `body` with the encoded bytes, valid during the call.
    @inline(__always)
    func withUnsafeBytes<Result, Failure>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        guard let storage else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        defer { withExtendedLifetime(storage) {} }
        guard storedCount != 0 else {
            let own = unsafeDowncast(storage, to: OwnBlob.self)
            return try body(UnsafeRawBufferPointer(start: own.base, count: own.count))
        }
        let block = unsafeDowncast(storage, to: BlobBlock.self)
        return try body(UnsafeRawBufferPointer(start: block.base + Int(start), count: Int(storedCount)))
    }

    /// A copy of the encoded bytes.
    var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Encodes `properties` when every key has a number in `keys`; nil
    /// otherwise (``init(_:keys:)`` numbers them).
    init?(_ properties: [String: PropertyValue], knownKeys keys: borrowing NameTable, in placing: inout some BlobPlacing) {
        guard !properties.isEmpty else {
            self = .empty
            return
        }
        if properties.count <= 16 {
            guard let blob = Self.encodeFew(properties, keys: keys, in: &placing) else { return nil }
            self = blob
            return
        }
        var pairs: [(key: UInt32, value: PropertyValue)] = []
        pairs.reserveCapacity(properties.count)
        for (key, value) in properties {
            guard let id = keys.id(of: key) else { return nil }
            pairs.append((id, value))
        }
        pairs.sort { $0.key < $1.key }
        self.init(sortedPairs: pairs, in: &placing)
    }

    /// Encodes `properties` into memory of its own, interning their keys
    /// in `keys`.
    ///
    /// New keys are numbered in name order, not in the dictionary's
    /// (which depends on its history): replaying the same events numbers
    /// them the same way, so the replayed store writes the same snapshot.
    init(_ properties: [String: PropertyValue], keys: inout NameTable) {
        var own = OwnMemory()
        self.init(properties, keys: &keys, in: &own)
    }

    /// Encodes `properties`, placed by `placing`, interning their keys in
    /// `keys` (in name order, as ``init(_:keys:)`` says).
    init(_ properties: [String: PropertyValue], keys: inout NameTable, in placing: inout some BlobPlacing) {
        if let blob = PropertyBlob(properties, knownKeys: keys, in: &placing) {
            self = blob
            return
        }
        Self.intern(properties.keys, in: &keys)
        // Every key has a number now.
        self = PropertyBlob(properties, knownKeys: keys, in: &placing) ?? .empty
    }

    /// Numbers the names in `names` that have no number yet, in name order.
    static func intern(_ names: some Collection<String>, in keys: inout NameTable) {
        for name in names.sorted() where keys.id(of: name) == nil { _ = keys.intern(name) }
    }

    /// The encoding of a few properties (a node's usual handful), their
    /// positions sorted by key number on the stack, sparing the sorted
    /// pairs' array and the values' retains. Nil when a key has no number.
    private static func encodeFew(
        _ properties: [String: PropertyValue], keys: borrowing NameTable, in placing: inout some BlobPlacing
    ) -> PropertyBlob? {
        typealias Position = (key: UInt32, index: Dictionary<String, PropertyValue>.Index)
        return withUnsafeTemporaryAllocation(of: Position.self, capacity: properties.count) { order -> PropertyBlob? in
            var count = 0
            defer { _ = order.prefix(count).deinitialize() }
            var size = varintSize(UInt64(properties.count))
            for index in properties.indices {
                guard let key = keys.id(of: properties[index].key) else { return nil }
                size += varintSize(UInt64(key)) + properties[index].value.encodedSize
                order.insertSorted((key, index), count: count) { $0.key < $1.key }
                count += 1
            }
            return placing.placeOrRewrite(count: size) { writer in
                writer.appendVarint(UInt64(count))
                for position in 0..<count {
                    writer.appendVarint(UInt64(order[position].key))
                    writer.appendValue(properties[order[position].index].value)
                }
            }
        }
    }

    /// Encodes pairs ascending by key number, into memory of its own.
    init(sortedPairs pairs: [(key: UInt32, value: PropertyValue)]) {
        var own = OwnMemory()
        self.init(sortedPairs: pairs, in: &own)
    }

    /// Encodes pairs ascending by key number, placed by `placing`.
    init(sortedPairs pairs: [(key: UInt32, value: PropertyValue)], in placing: inout some BlobPlacing) {
        guard !pairs.isEmpty else {
            self = .empty
            return
        }
        var size = varintSize(UInt64(pairs.count))
        for (key, value) in pairs { size += varintSize(UInt64(key)) + value.encodedSize }
        self = placing.placeOrRewrite(count: size) { writer in
            writer.appendVarint(UInt64(pairs.count))
            for (key, value) in pairs {
                writer.appendVarint(UInt64(key))
                writer.appendValue(value)
            }
        }
    }

    /// Builds the record's bytes from values already encoded in `bytes`
    /// (a logged event's), `count` of them, `pair(i)` giving the i-th key
    /// number and value range, ascending by key number: the count, then
    /// each key number and its value's bytes, copied as they are.
    ///
    /// By index rather than over a collection: the caller's pairs are
    /// often fields of larger values (a slot holding the key's string and
    /// the value), which iterating would copy, retains and all.
    @inline(__always)
    init(
        valueRanges count: Int, _ pair: (Int) -> (key: UInt32, value: Range<Int>), in bytes: UnsafeRawBufferPointer,
        placing: inout some BlobPlacing
    ) {
        guard count > 0 else {
            self = .empty
            return
        }
        var size = varintSize(UInt64(count))
        for index in 0..<count {
            let (key, value) = pair(index)
            size += varintSize(UInt64(key)) + value.count
        }
        self = placing.placeOrRewrite(count: size) { writer in
            writer.appendVarint(UInt64(count))
            for index in 0..<count {
                let (key, value) = pair(index)
                writer.appendVarint(UInt64(key))
                writer.appendRaw(UnsafeRawBufferPointer(rebasing: bytes[value]))
            }
        }
    }

    /// The slow way, when a size was computed wrong (a bug, which this
    /// survives): written into ever larger scratch memory until it fits,
    /// then copied into memory of its own.
    fileprivate init(rewriting write: (inout ByteWriter) -> Void, sizeHint: Int) {
        var capacity = Swift.max(64, 2 * sizeHint)
        while true {
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 1)
            defer { scratch.deallocate() }
            var writer = ByteWriter(base: scratch, from: 0, to: capacity)
            write(&writer)
            if !writer.overflowed {
                self.init(copying: UnsafeRawBufferPointer(start: scratch, count: writer.position))
                return
            }
            capacity *= 2
        }
    }

    /// The pairs, ascending by key number.
    var pairs: [(key: UInt32, value: PropertyValue)] {
        var result: [(key: UInt32, value: PropertyValue)] = []
        forEach { result.append(($0, $1)) }
        return result
    }

    /// Calls `body` with each key number and value, ascending by key number,
    /// until it returns false.
    func forEachWhile(_ body: (UInt32, PropertyValue) -> Bool) {
        guard !isEmpty else { return }
        // The bytes were encoded by this type or validated on load, so a
        // failure here is a bug, not bad data: stop at what was read.
        do throws(WALError) {
            try withUnsafeBytes { raw throws(WALError) in
                var reader = BinaryReader(raw)
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
        guard !isEmpty else { return [:] }
        var result: [String: PropertyValue] = [:]
        forEach { (key: UInt32, value: PropertyValue) in
            if let name = keys.name(key) { result[name] = value }
        }
        return result
    }

    /// This blob with key number `key` set to `value` (removed when nil),
    /// and the value it had. The new blob has memory of its own (see
    /// ``BlobArena`` for why updates do not go to a shared block).
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
    init(validating raw: UnsafeRawBufferPointer, keyCount: Int, in placing: inout some BlobPlacing) throws(WALError) {
        try Self.validate(raw, keyCount: keyCount)
        self.init(copying: raw, in: &placing)
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

extension PropertyBlob: Equatable {
    /// Byte for byte, wherever the bytes are.
    static func == (left: PropertyBlob, right: PropertyBlob) -> Bool {
        left.withUnsafeBytes { a in
            right.withUnsafeBytes { b in
                guard a.count == b.count else { return false }
                guard let x = a.baseAddress, let y = b.baseAddress else { return true }
                return memcmp(x, y, a.count) == 0
            }
        }
    }
}

/// Where a new blob's bytes go: a store's block (``BlobArena``) or memory
/// of the blob's own (``OwnMemory``).
protocol BlobPlacing {
    /// A blob of `count` bytes (more than 0) that `write` stores; nil when
    /// `write` did not store exactly that many (a size computed wrong: the
    /// caller encodes the slow way).
    mutating func place(count: Int, _ write: (inout ByteWriter) -> Void) -> PropertyBlob?
}

extension BlobPlacing {
    /// ``place(count:_:)``, or when `write` did not store exactly `count`
    /// bytes, what it does store, in memory of its own.
    @inline(__always)
    mutating func placeOrRewrite(count: Int, _ write: (inout ByteWriter) -> Void) -> PropertyBlob {
        place(count: count, write) ?? PropertyBlob(rewriting: write, sizeHint: count)
    }

    /// `write` into `count` bytes at `offset` from `base`: whether exactly those.
    @inline(__always)
    fileprivate func fill(
        _ base: UnsafeMutableRawPointer, at offset: Int, count: Int, _ write: (inout ByteWriter) -> Void
    ) -> Bool {
        var writer = ByteWriter(base: base, from: offset, to: offset + count)
        write(&writer)
        return !writer.overflowed && writer.position == offset + count
    }
}

/// Every blob in memory of its own: updates, and callers without a store.
struct OwnMemory: BlobPlacing {
    func place(count: Int, _ write: (inout ByteWriter) -> Void) -> PropertyBlob? {
        let own = OwnBlob.make(count: count)
        return fill(own.base, at: 0, count: count, write) ? PropertyBlob(own: own) : nil
    }
}

extension BlobArena: BlobPlacing {
    /// In the store's block when the blob is small enough, else in memory of its own.
    @inline(__always)
    mutating func place(count: Int, _ write: (inout ByteWriter) -> Void) -> PropertyBlob? {
        guard count <= Self.largestPlaced, let (block, offset) = room(for: count) else {
            return OwnMemory().place(count: count, write)
        }
        return fill(block.base, at: offset, count: count, write) ? PropertyBlob(block: block, offset: offset, count: count) : nil
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
