import HashTreeCollections

/// An index of the nodes carrying one label by the value of one property.
///
/// Persistent like the rest of the store, and holding no values: a
/// `TreeDictionary` (a hash array mapped trie, from swift-collections)
/// from a 64-bit hash of the value to the one node whose value has that
/// hash, and, for the hashes several nodes' values share (one value on
/// several nodes of a non-unique index, or a collision), a second one to
/// their ``IDSet``. A write transaction that indexes one node copies one
/// path of the trie, and its items are two plain integers, copied as
/// bytes: with the values and sets as items, 80 bytes each copied one by
/// one with a retain, a commit into an indexed label cost five times an
/// unindexed one, and the index 125 bytes a node.
///
/// A hash finds candidates, not answers: every lookup checks each
/// candidate's value against its record (`valueOf`), as ``PropertyValue``
/// equality defines it (exact: `1` and `1.0` differ, doubles by bit
/// pattern). The hash is the process's (`hashValue`): an index lives in
/// memory only, rebuilt from the nodes when a snapshot loads.
struct PropertyIndex: Sendable, Equatable {
    /// Whether at most one node with the label may have each value.
    var isUnique: Bool
    /// By value hash, the node whose value has it, or ``sharedHash`` when
    /// several do (they are in `shared`). A hash no node's value has has
    /// no entry; one node's is never in `shared`, so equal contents are
    /// equal indexes.
    private(set) var single = TreeDictionary<UInt64, UInt64>()
    /// The nodes of the hashes several nodes' values have, ascending.
    private(set) var shared = TreeDictionary<UInt64, IDSet>()
    /// In `single`: the hash's nodes are in `shared` (no node has this id:
    /// ids are below it).
    static let sharedHash = UInt64.max

    init(isUnique: Bool) {
        self.isUnique = isUnique
    }

    /// The key of `value` in the tries.
    static func hash(_ value: PropertyValue) -> UInt64 {
        UInt64(UInt(bitPattern: value.hashValue))
    }

    /// The nodes whose value has the hash of `value`, ascending: those
    /// with `value`, and perhaps others (a collision). Callers check them.
    func candidates(for value: PropertyValue) -> IDSet {
        let hash = Self.hash(value)
        switch single[hash] {
        case nil: return IDSet()
        case Self.sharedHash?: return shared[hash] ?? IDSet()
        case let node?:
            var ids = IDSet()
            ids.insert(node)
            return ids
        }
    }

    /// The lowest node other than `except` whose value is `value`.
    func firstNode(
        with value: PropertyValue, except: UInt64? = nil, valueOf: (UInt64) -> PropertyValue?
    ) -> UInt64? {
        let hash = Self.hash(value)
        switch single[hash] {
        case nil:
            return nil
        case Self.sharedHash?:
            return shared[hash]?.first { $0 != except && valueOf($0) == value }
        case let node?:
            return node != except && valueOf(node) == value ? node : nil
        }
    }

    /// The node with this value other than `node`, if any: what a unique
    /// index refuses.
    func otherNode(with value: PropertyValue, than node: UInt64, valueOf: (UInt64) -> PropertyValue?) -> UInt64? {
        firstNode(with: value, except: node, valueOf: valueOf)
    }

    /// Adds `node` under `value` (no check: see ``otherNode(with:than:valueOf:)``).
    mutating func insert(_ value: PropertyValue, for node: UInt64) {
        let hash = Self.hash(value)
        // One walk of `single`: an absent hash gets `node`; a hash of
        // another node's becomes shared by both.
        var joinsShared = false
        var firstOfTwo: UInt64?
        single.updateValue(forKey: hash, default: node) { slot in
            if slot == Self.sharedHash {
                joinsShared = true
            } else if slot != node {
                firstOfTwo = slot
                slot = Self.sharedHash
            }
        }
        if joinsShared {
            shared.updateValue(forKey: hash, default: IDSet()) { _ = $0.insert(node) }
        } else if let other = firstOfTwo {
            var ids = IDSet()
            ids.insert(other)
            ids.insert(node)
            shared[hash] = ids
        }
    }

    /// Removes `node` from under `value`.
    mutating func remove(_ value: PropertyValue, for node: UInt64) {
        let hash = Self.hash(value)
        switch single[hash] {
        case node?:
            single[hash] = nil
        case Self.sharedHash?:
            guard var ids = shared.removeValue(forKey: hash) else { return }
            ids.remove(node)
            // A hash left with one node goes back to `single`.
            if ids.count == 1, let last = ids.first { single[hash] = last } else { shared[hash] = ids }
        default:
            return
        }
    }

    mutating func removeAll() {
        single = [:]
        shared = [:]
    }

    /// How many nodes the index holds.
    var nodeCount: Int {
        single.count - shared.count + shared.values.reduce(0) { $0 + $1.count }
    }

    /// An index built from `nodes` (ascending by id), `batch` of them at a
    /// time sorted by their hash's path in the trie, so that consecutive
    /// inserts walk the nodes the previous one walked, still in cache. In
    /// id order, which is random hash order, nearly every insert missed
    /// the cache at every level below the top ones: a microsecond a node
    /// at a million nodes, four times what the rest of a recovery costs.
    /// The batch bounds what waits beside the graph: two arrays of 40
    /// bytes a node, 40 MiB at most. `valueOf` reads a node's value, to
    /// check a unique index's candidates.
    ///
    /// A unique index with two nodes sharing a value comes back with the
    /// pair an insert in id order would have met first: the lowest id
    /// whose value a lower id has, and that lower id. (Which pair a
    /// refusal names must not depend on the process's hash seed.)
    static func build(
        isUnique: Bool, from nodes: some Sequence<(node: UInt64, value: PropertyValue)>,
        valueOf: (UInt64) -> PropertyValue?, batch: Int = 1 << 19
    ) -> (index: PropertyIndex, duplicate: Duplicate?) {
        var index = PropertyIndex(isUnique: isUnique)
        var pending: [Pending] = []
        pending.reserveCapacity(Swift.min(nodes.underestimatedCount, batch))
        var duplicate: Duplicate?
        func flush() {
            for position in pending.indices { pending[position].path = pathOrder(of: hash(pending[position].value)) }
            for entry in sortedByPath(pending) {
                // A hash's nodes come in id order: `other` is the lowest id with the value.
                if isUnique, let other = index.firstNode(with: entry.value, valueOf: valueOf),
                    duplicate.map({ entry.node < $0.second }) ?? true
                {
                    duplicate = Duplicate(first: other, second: entry.node, value: entry.value)
                }
                index.insert(entry.value, for: entry.node)
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
    /// bits a level from the lowest bits up, so that hash with its bits
    /// reversed sorts keys by their first level's bucket, then the next,
    /// and so on. Should the trie take its bits another way, only the
    /// build's speed changes, never its result.
    static func pathOrder(of key: UInt64) -> UInt64 {
        var bits = UInt64(UInt(bitPattern: key._rawHashValue(seed: 0))).byteSwapped
        bits = (bits & 0xF0F0_F0F0_F0F0_F0F0) >> 4 | (bits & 0x0F0F_0F0F_0F0F_0F0F) << 4
        bits = (bits & 0xCCCC_CCCC_CCCC_CCCC) >> 2 | (bits & 0x3333_3333_3333_3333) << 2
        bits = (bits & 0xAAAA_AAAA_AAAA_AAAA) >> 1 | (bits & 0x5555_5555_5555_5555) << 1
        return bits
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
