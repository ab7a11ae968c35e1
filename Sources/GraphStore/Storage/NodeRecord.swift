/// A node as the store keeps it: the number of its label set, its encoded
/// properties and, when it has relationships, its adjacency.
///
/// 24 bytes (32 with its id in a trie leaf), and no allocation of its own
/// for a node without relationships (its properties share a block with
/// other nodes', see ``BlobArena``): the 12-byte blob first, so that the
/// label set's number fills the rest of its 16. The id is the trie's key and the names live in
/// the store's tables, so ``GraphStore`` materialises a ``Node`` on read.
/// The adjacency lives beside the node rather than in a separate map so
/// `relationships(of:)` needs one lookup; it is boxed because most nodes
/// of a large graph have none, or few, and two empty ``IDSet``s inline
/// would cost 112 bytes per node.
struct NodeRecord: Sendable {
    var properties: PropertyBlob
    /// The label set's number in the store's ``LabelSets``.
    var labelSet: UInt32
    /// Nil when the node has no relationships: equal nodes have equal records.
    private var adjacency: Adjacency?

    init(labelSet: UInt32, properties: PropertyBlob) {
        self.properties = properties
        self.labelSet = labelSet
    }

    /// The relationships that leave the node, ascending.
    var outgoing: IDSet { adjacency?.outgoing ?? IDSet() }
    /// The relationships that enter it, ascending; a self-loop is in both.
    var incoming: IDSet { adjacency?.incoming ?? IDSet() }

    var hasRelationships: Bool { adjacency != nil }

    /// Changes the adjacency in place when this record holds the only
    /// reference to it (a copy otherwise, which readers keep seeing).
    mutating func updateAdjacency(_ body: (inout IDSet, inout IDSet) -> Void) {
        var box = adjacency.take() ?? Adjacency()
        if !isKnownUniquelyReferenced(&box) { box = box.copy() }
        body(&box.outgoing, &box.incoming)
        adjacency = box.outgoing.isEmpty && box.incoming.isEmpty ? nil : box
    }
}

/// A node's relationship ids, one ``IDSet`` per direction.
///
/// Persistent sets rather than sorted arrays: the record is shared with
/// the version readers see, and appending to a shared array copies it
/// whole, so the millionth relationship of a hub would copy a million ids;
/// an ``IDSet`` copies one path of its trie. They iterate in id order,
/// which paging needs.
final class Adjacency {
    var outgoing = IDSet()
    var incoming = IDSet()

    init() {}

    func copy() -> Adjacency {
        let copy = Adjacency()
        copy.outgoing = outgoing
        copy.incoming = incoming
        return copy
    }
}

/// `@unchecked`: an adjacency box is written only through a record that
/// holds the one reference to it (`isKnownUniquelyReferenced`, else it is
/// copied first), so a box reachable from two versions is never written.
extension Adjacency: @unchecked Sendable {}
