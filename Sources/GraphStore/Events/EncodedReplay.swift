#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import WriteAheadLog

/// Reads logged events straight from their bytes during recovery, for the
/// one event a large log is mostly made of: `createNode` with known labels
/// and keys and plain values.
///
/// Why: decoding such an event builds a `Set` of labels and a `Dictionary`
/// of properties, only for ``GraphStore/apply(_:)`` to hash them again and
/// encode the properties back into the record's bytes, and then destroy
/// them. That round trip was most of a replay. Here the label bytes are
/// compared with the previous event's (a log of a million nodes has a
/// handful of label sets), each key's bytes with the few keys met so far,
/// and the values are copied into the record as they are: the log and the
/// record encode a value the same way.
///
/// Anything else gets nil from ``prepare(_:for:)``, and the caller decodes
/// the event and applies it as before: other events, lists and maps,
/// labels or keys the store has not numbered yet (the decoding path numbers
/// them, in the same order as ever), a varint written longer than it needs,
/// and any byte the decoder would refuse (the decoder then names it). So
/// what this accepts becomes exactly the record decoding would have built,
/// and everything else takes the path that always existed.
///
/// One per replay of one store: what it remembers are that store's numbers.
public struct EncodedReplay {
    /// The bytes of the last label list read, and what they stand for.
    private var labelBytes: [UInt8] = []
    private var labelSet: UInt32 = 0
    private var labels: [String] = []
    private var hasLabels = false
    /// Key bytes already resolved to their number; a graph has few keys.
    private var keys: [(bytes: [UInt8], number: UInt32)] = []
    private static var maximumKeys: Int { 64 }
    /// The event being read's properties; kept to reuse its storage.
    private var pairs = PreparedPairs()
    /// The most properties an event may have here; more go the decoding way.
    private static var maximumProperties: Int { 32 }

    public init() {}

    /// The event in `bytes` (as `MutationEvent.encode(into:)` wrote it),
    /// ready to apply to `store`, or nil when the caller must decode it.
    /// Changes nothing in the store but room taken in its block for the
    /// record's property bytes: apply what it returns with ``GraphStore/apply(_:)-(PreparedEvent)``.
    public mutating func prepare(_ bytes: UnsafeRawBufferPointer, for store: inout GraphStore) -> PreparedEvent? {
        var cursor = PlainCursor(bytes)
        guard cursor.byte() == MutationEvent.codecVersion, cursor.byte() == MutationEvent.Tag.createNode.rawValue,
            let id = cursor.varint()
        else { return nil }
        guard let labelRange = cursor.skipStrings(), resolveLabels(bytes, labelRange, in: store) else { return nil }
        guard let count = cursor.varint(), count <= Self.maximumProperties else { return nil }
        pairs.removeAll()
        for _ in 0..<Int(count) {
            guard let keyRange = cursor.string(), let key = resolveKey(bytes, keyRange, in: store),
                let valueRange = cursor.plainValue()
            else { return nil }
            guard pairs.insert(key: key, value: valueRange) else { return nil }  // a repeated key
        }
        guard cursor.isAtEnd else { return nil }
        let properties = pairs.blob(from: bytes, placing: &store.blobArena)
        return PreparedEvent(.createNode(id: id, labelSet: labelSet, labels: labels, properties: properties))
    }

    /// Points `labelSet` and `labels` at the label list in `range`; false
    /// when the store has no number for that set yet (or the bytes are bad).
    private mutating func resolveLabels(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, in store: borrowing GraphStore) -> Bool {
        let list = UnsafeRawBufferPointer(rebasing: bytes[range])
        if hasLabels, sameBytes(labelBytes, list) { return true }
        var reader = BinaryReader(list)
        guard let set = try? reader.readLabels("labels"), reader.isAtEnd, let number = store.labelSets.id(of: set) else {
            return false
        }
        labelBytes = Array(list)
        labelSet = number
        labels = set.sorted()
        hasLabels = true
        return true
    }

    /// The number of the key whose UTF-8 bytes are in `range`, if the store has one.
    private mutating func resolveKey(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, in store: borrowing GraphStore) -> UInt32? {
        let name = UnsafeRawBufferPointer(rebasing: bytes[range])
        for known in keys where sameBytes(known.bytes, name) { return known.number }
        guard let string = String(validating: name.bindMemory(to: UInt8.self), as: UTF8.self),
            let number = store.propertyKeys.id(of: string)
        else { return nil }
        if keys.count < Self.maximumKeys { keys.append((Array(name), number)) }
        return number
    }
}

/// An event read and checked, ready for ``GraphStore/apply(_:)-(PreparedEvent)``:
/// either one ``EncodedReplay`` read from its bytes or a decoded event.
public struct PreparedEvent: Sendable {
    enum Content: Sendable {
        case createNode(id: UInt64, labelSet: UInt32, labels: [String], properties: PropertyBlob)
        case decoded(MutationEvent)
    }

    let content: Content

    init(_ content: Content) { self.content = content }

    /// A decoded event, applied as ``GraphStore/apply(_:)-(MutationEvent)`` applies it.
    public init(_ event: MutationEvent) { self.content = .decoded(event) }
}

extension GraphStore {
    /// Applies a prepared event: what ``apply(_:)-(MutationEvent)`` would do
    /// with the event it was read from, with the same errors.
    public mutating func apply(_ prepared: PreparedEvent) throws(GraphStoreError) {
        switch prepared.content {
        case .decoded(let event):
            try apply(event)
        case .createNode(let id, let labelSet, let labels, let properties):
            guard id < UInt64.max else {
                throw GraphStoreError(.idSpaceExhausted, "cannot create node \(id): the node id space is exhausted")
            }
            // A label with property indexes needs its constraints checked and
            // its indexes fed; a node without such a label is what it would
            // be without any index.
            if !propertyIndexes.isEmpty, labels.contains(where: { propertyIndexes[$0] != nil }) {
                return try insertIndexedNode(id: id, labelSet: labelSet, labels: labels, properties: properties)
            }
            guard insertNode(id: id, labelSet: labelSet, labels: labels, properties: properties) else {
                throw Self.nodeIDInUse(NodeID(id))
            }
        }
    }

    /// A prepared creation with a label that has property indexes: the
    /// checks and index changes of ``apply(_:)-(MutationEvent)``'s
    /// `createNode`, in its order and with its errors, reading only the
    /// indexed keys' values out of the encoded properties. (Decoding them
    /// all into a dictionary and encoding them again took half of the
    /// replay of a graph whose nodes have a unique key.)
    private mutating func insertIndexedNode(
        id: UInt64, labelSet: UInt32, labels: [String], properties: PropertyBlob
    ) throws(GraphStoreError) {
        let node = NodeID(id)
        // A taken id is reported before any constraint.
        if let last = nodeRecords.lastID, id <= last, nodeRecords.contains(id) { throw Self.nodeIDInUse(node) }
        // Every indexed value is read and checked before anything changes
        // (and before the indexes change, `indexes` is gone: see indexedKeys).
        var indexed: [(label: String, key: String, value: PropertyValue)] = []
        for label in labels {
            guard let indexes = propertyIndexes[label] else { continue }
            for (key, index) in indexes {
                guard let value = property(key, in: properties) else { continue }
                if index.isUnique, let other = index.otherNode(with: value, than: id, valueOf: { propertyValue(of: $0, key) }) {
                    throw Self.uniqueValueTaken(by: other, label: label, key: key, value: value, action: "create node \(node)")
                }
                indexed.append((label, key, value))
            }
        }
        guard insertNode(id: id, labelSet: labelSet, labels: labels, properties: properties) else {
            throw Self.nodeIDInUse(node)
        }
        for (label, key, value) in indexed { propertyIndexes[label]?[key]?.insert(value, for: id) }
    }

    /// Inserts a node with label set `labelSet` (whose names are `labels`)
    /// and encoded properties, when none of its labels has a property
    /// index; false (nothing changed) when `id` is taken.
    mutating func insertNode(
        id: UInt64, labelSet: UInt32, labels: some Sequence<String>, properties: PropertyBlob
    ) -> Bool {
        guard nodeRecords.insert(NodeRecord(labelSet: labelSet, properties: properties), for: id) else {
            return false
        }
        for label in labels { labelIndex.insert(id, label: label) }
        if id >= nextNodeID.rawValue { nextNodeID = NodeID(id + 1) }
        return true
    }
}

/// Key numbers and value ranges, kept ascending by key number as they
/// arrive (logs list keys by name, records by number). Inserting shifts
/// the pairs above: events have a handful of properties.
private struct PreparedPairs {
    private(set) var pairs: [(key: UInt32, value: Range<Int>)] = []

    mutating func removeAll() { pairs.removeAll(keepingCapacity: true) }

    /// False when `key` is already there.
    mutating func insert(key: UInt32, value: Range<Int>) -> Bool {
        // Keys numbered together are numbered in name order, the order the
        // log lists them in: most events arrive ascending already.
        if pairs.last.map({ $0.key < key }) ?? true {
            pairs.append((key, value))
            return true
        }
        var index = pairs.endIndex
        while index > 0, pairs[index - 1].key >= key {
            if pairs[index - 1].key == key { return false }
            index -= 1
        }
        pairs.insert((key, value), at: index)
        return true
    }

    /// The record's encoding: the count, then each key number and value bytes.
    func blob(from bytes: UnsafeRawBufferPointer, placing arena: inout BlobArena) -> PropertyBlob {
        PropertyBlob(valueRanges: pairs.count, { pairs[$0] }, in: bytes, placing: &arena)
    }
}

/// Whether `stored` holds exactly the bytes of `candidate`: one length
/// check and a `memcmp`, where `elementsEqual` walks both a byte at a time.
private func sameBytes(_ stored: [UInt8], _ candidate: UnsafeRawBufferPointer) -> Bool {
    guard stored.count == candidate.count else { return false }
    guard !stored.isEmpty else { return true }
    return stored.withUnsafeBytes { storedBytes in
        guard let left = storedBytes.baseAddress, let right = candidate.baseAddress else { return false }
        return memcmp(left, right, candidate.count) == 0
    }
}
