/// The distinct label sets of a store, each kept once: nodes with the same
/// labels share one `Set`'s storage instead of holding a copy each.
///
/// A graph of millions of nodes usually has a handful of label
/// combinations, and a `Set<String>` of one label costs an allocation of
/// about a hundred bytes; interned, it costs the node a reference. Interning
/// hashes the set and looks it up (O(labels)), once per node creation or
/// label change. A set no node carries any more stays until the store is
/// rebuilt (a restart); there are few.
///
/// Equality ignores the table: it is a cache, and two stores with the same
/// nodes are equal whatever label sets they met on the way.
struct LabelSets: Sendable, Equatable {
    private var sets: [Set<String>: Set<String>] = [:]

    /// The shared instance equal to `labels`, which becomes the shared one if there is none.
    mutating func intern(_ labels: Set<String>) -> Set<String> {
        // The empty set has no storage to share.
        guard !labels.isEmpty else { return labels }
        if let shared = sets[labels] { return shared }
        sets[labels] = labels
        return labels
    }

    var count: Int { sets.count }

    static func == (left: LabelSets, right: LabelSets) -> Bool { true }
}
