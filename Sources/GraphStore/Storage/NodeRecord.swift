/// A node together with its adjacency: the ids of the relationships that
/// leave it and that enter it.
///
/// The adjacency lives beside the node rather than in a separate map so
/// `relationships(of:)` needs one lookup. Persistent sets rather than
/// sorted arrays: the record is shared with the version readers see, and
/// appending to a shared array copies it whole, so the millionth
/// relationship of a hub would copy a million ids; an ``IDSet`` copies one
/// path of its trie. They iterate in id order, which paging needs.
/// A self-loop appears in both sets.
struct NodeRecord: Sendable, Equatable {
    var node: Node
    var outgoing = IDSet()
    var incoming = IDSet()

    var hasRelationships: Bool { !outgoing.isEmpty || !incoming.isEmpty }
}
