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
