/// Counts that describe a graph, for status pages and metrics.
public struct GraphStats: Sendable, Equatable {
    /// How many nodes the graph has.
    public var nodeCount: Int
    /// How many relationships the graph has.
    public var relationshipCount: Int
    /// Nodes per label; labels no node carries are absent.
    public var nodesPerLabel: [String: Int]
    /// Relationships per type; types no relationship has are absent.
    public var relationshipsPerType: [String: Int]
    /// The id the next created node gets.
    public var nextNodeID: NodeID
    /// The id the next created relationship gets.
    public var nextRelationshipID: RelationshipID

    /// Stats with these values; the store's ``GraphStore/stats`` computes them.
    public init(
        nodeCount: Int, relationshipCount: Int, nodesPerLabel: [String: Int], relationshipsPerType: [String: Int],
        nextNodeID: NodeID, nextRelationshipID: RelationshipID
    ) {
        self.nodeCount = nodeCount
        self.relationshipCount = relationshipCount
        self.nodesPerLabel = nodesPerLabel
        self.relationshipsPerType = relationshipsPerType
        self.nextNodeID = nextNodeID
        self.nextRelationshipID = nextRelationshipID
    }
}
