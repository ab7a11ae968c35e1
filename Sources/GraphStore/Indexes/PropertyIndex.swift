import HashTreeCollections

/// An index of the nodes carrying one label by the value of one property:
/// for each value, the set of such nodes that have it.
///
/// Persistent like the rest of the store: a `TreeDictionary` (a hash array
/// mapped trie, from swift-collections) from values to ``IDSet``s, so a
/// write transaction that indexes one node copies one path of each, not
/// the index. Values are compared as ``PropertyValue`` equality defines
/// it (exact: `1` and `1.0` differ, doubles by bit pattern).
struct PropertyIndex: Sendable, Equatable {
    /// Whether at most one node with the label may have each value.
    var isUnique: Bool
    /// The node ids by value; a value no node has has no entry.
    var entries = TreeDictionary<PropertyValue, IDSet>()

    init(isUnique: Bool) {
        self.isUnique = isUnique
    }

    /// The nodes with this value, ascending by id.
    func nodes(with value: PropertyValue) -> IDSet {
        entries[value] ?? IDSet()
    }

    /// The node with this value other than `node`, if any: what a unique
    /// index refuses.
    func otherNode(with value: PropertyValue, than node: UInt64) -> UInt64? {
        guard let ids = entries[value] else { return nil }
        return ids.first { $0 != node }
    }

    /// Adds `node` under `value`. In a unique index, returns a node other
    /// than `node` that has the value already, if any (`node` is added all
    /// the same): building an index checks and inserts in one walk of the
    /// trie, where a lookup then an insert walked it twice.
    @discardableResult
    mutating func insert(_ value: PropertyValue, for node: UInt64) -> UInt64? {
        var other: UInt64?
        let isUnique = isUnique
        entries.updateValue(forKey: value, default: IDSet()) { ids in
            if isUnique, !ids.isEmpty { other = ids.first { $0 != node } }
            _ = ids.insert(node)
        }
        return other
    }

    /// An index built from `nodes` (ascending by id), `batch` of them at a
    /// time sorted by each value's path in the trie, so that consecutive
    /// inserts walk the nodes the previous one walked, still in cache. In
    /// id order, which is random hash order, nearly every insert missed
    /// the cache at every level below the top ones: a microsecond a node
    /// at a million nodes, four times what the rest of a recovery costs.
    /// The batch bounds what waits beside the graph: two arrays of 40
    /// bytes a node, 40 MiB at most.
    ///
    /// A unique index with two nodes sharing a value comes back with the
    /// pair an insert in id order would have met first: the lowest id
    /// whose value a lower id has, and that lower id. (Which pair a
    /// refusal names must not depend on the process's hash seed.)
    static func build(
        isUnique: Bool, from nodes: some Sequence<(node: UInt64, value: PropertyValue)>, batch: Int = 1 << 19
    ) -> (index: PropertyIndex, duplicate: Duplicate?) {
        var index = PropertyIndex(isUnique: isUnique)
        var pending: [Pending] = []
        pending.reserveCapacity(Swift.min(nodes.underestimatedCount, batch))
        var duplicate: Duplicate?
        func flush() {
            for position in pending.indices { pending[position].path = pathOrder(of: pending[position].value) }
            for entry in sortedByPath(pending) {
                // A value's nodes come in id order: `other` is the lowest id with the value.
                guard let other = index.insert(entry.value, for: entry.node) else { continue }
                if duplicate.map({ entry.node < $0.second }) ?? true {
                    duplicate = Duplicate(first: other, second: entry.node, value: entry.value)
                }
            }
            pending.removeAll(keepingCapacity: true)
        }
        for (node, value) in nodes {
            pending.append(Pending(value: value, node: node))
            if pending.count >= Swift.max(batch, 1) {
                flush()
                // Every later node has a higher id than the duplicate found.
                if duplicate != nil { return (index, duplicate) }
            }
        }
        flush()
        return (index, duplicate)
    }

    /// Two nodes a unique index cannot have: both have `value`.
    struct Duplicate: Equatable {
        var first: UInt64
        var second: UInt64
        var value: PropertyValue
    }

    /// A node and its value, waiting in a build's batch.
    private struct Pending {
        var value: PropertyValue
        var node: UInt64
        var path: UInt64 = 0
    }

    /// `pending` in the order of the first 16 bits of their paths (the
    /// trie's first three levels and a bit of the fourth), a counting
    /// sort: stable, so a value's nodes stay in id order, and a fifth of
    /// the time a comparison sort took.
    private static func sortedByPath(_ pending: [Pending]) -> [Pending] {
        let buckets = 1 << 16
        var starts = [Int](repeating: 0, count: buckets + 1)
        for entry in pending { starts[Int(entry.path >> 48) + 1] += 1 }
        for bucket in 0..<buckets { starts[bucket + 1] += starts[bucket] }
        return [Pending](unsafeUninitializedCapacity: pending.count) { buffer, count in
            for entry in pending {
                let bucket = Int(entry.path >> 48)
                buffer.initializeElement(at: starts[bucket], to: entry)
                starts[bucket] += 1
            }
            count = pending.count
        }
    }

    /// An order that keeps each subtree of the trie together: the trie
    /// (swift-collections' `TreeDictionary`) takes a key's seed-0 hash five
    /// bits a level from the lowest bits up, so the hash with its bits
    /// reversed sorts keys by their first level's bucket, then the next,
    /// and so on. Should the trie take its bits another way, only the
    /// build's speed changes, never its result.
    static func pathOrder(of value: PropertyValue) -> UInt64 {
        var bits = UInt64(UInt(bitPattern: value._rawHashValue(seed: 0))).byteSwapped
        bits = (bits & 0xF0F0_F0F0_F0F0_F0F0) >> 4 | (bits & 0x0F0F_0F0F_0F0F_0F0F) << 4
        bits = (bits & 0xCCCC_CCCC_CCCC_CCCC) >> 2 | (bits & 0x3333_3333_3333_3333) << 2
        bits = (bits & 0xAAAA_AAAA_AAAA_AAAA) >> 1 | (bits & 0x5555_5555_5555_5555) << 1
        return bits
    }

    mutating func remove(_ value: PropertyValue, for node: UInt64) {
        guard var ids = entries.removeValue(forKey: value) else { return }
        ids.remove(node)
        // Put back only a non-empty set: equal graphs have equal indexes.
        if !ids.isEmpty { entries[value] = ids }
    }

    mutating func removeAll() {
        entries = [:]
    }
}

/// A property index as the store describes it: which property of which
/// label it indexes, and whether it is a unique constraint.
public struct PropertyIndexDescription: Hashable, Sendable, Comparable {
    /// The label whose nodes are indexed.
    public var label: String
    /// The property key indexed.
    public var key: String
    /// Whether at most one node with the label may have each value of the key.
    public var isUnique: Bool

    public init(label: String, key: String, isUnique: Bool) {
        self.label = label
        self.key = key
        self.isUnique = isUnique
    }

    /// By label, then key.
    public static func < (left: Self, right: Self) -> Bool {
        (left.label, left.key, left.isUnique ? 1 : 0) < (right.label, right.key, right.isUnique ? 1 : 0)
    }
}
