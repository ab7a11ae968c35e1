import HashTreeCollections

/// The distinct label sets of a store, each kept once and numbered: a node
/// holds its set's number, and reads hand out the one shared `Set`.
///
/// A graph of millions of nodes usually has a handful of label
/// combinations, and a `Set<String>` of one label costs an allocation of
/// about a hundred bytes; interned, it costs the node four bytes and a
/// path copy of its leaf retains nothing for it. Interning hashes the set
/// and looks it up (O(labels)), once per node creation or label change.
/// Number 0 is the empty set. A set no node carries any more stays until
/// the store is rebuilt (a restart); there are few. Persistent like
/// ``NameTable``.
///
/// Equality ignores the table: it is a cache, and two stores with the same
/// nodes are equal whatever label sets they met on the way.
struct LabelSets: Sendable, Equatable {
    /// The sets by number; 0, the empty set, is implicit.
    private var sets = IDMap<Set<String>>()
    private var ids = TreeDictionary<Set<String>, UInt32>()

    /// The number of `labels`, which gets the next one if it has none yet.
    /// The store asks through ``GraphStore/internLabelSet(_:)``, which
    /// remembers the set interned last: nodes are mostly created in runs of
    /// one label set, often the very same `Set` value, and comparing with
    /// it (identical storage compares at once) spares hashing the set.
    mutating func intern(_ labels: Set<String>) -> UInt32 {
        if let id = id(of: labels) { return id }
        let id = UInt32(truncatingIfNeeded: sets.count + 1)
        sets.insert(labels, for: UInt64(id))
        ids[labels] = id
        return id
    }

    /// The number of `labels`, if it has one.
    func id(of labels: Set<String>) -> UInt32? {
        labels.isEmpty ? 0 : ids[labels]
    }

    /// The set with number `id` (empty for 0 or a number not handed out).
    subscript(id: UInt32) -> Set<String> {
        id == 0 ? [] : sets[UInt64(id)] ?? []
    }

    /// Whether number `id` has been handed out (0 always has).
    func contains(_ id: UInt32) -> Bool { id == 0 || sets.contains(UInt64(id)) }

    /// How many non-empty sets there are; their numbers are `1...count`.
    var count: Int { sets.count }

    /// The non-empty sets in number order, from 1.
    var allSets: some Sequence<Set<String>> { sets.lazy.map(\.value) }

    /// Whether a number means the same set in both tables wherever both have it.
    func agrees(with other: LabelSets) -> Bool {
        zip(sets, other.sets).allSatisfy { $0.value == $1.value }
    }

    static func == (left: LabelSets, right: LabelSets) -> Bool { true }
}
