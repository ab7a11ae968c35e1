/// A relationship as the store holds it: a typed, directed edge with properties.
///
/// Like ``Node``, a value: the copy a read returns does not change the store.
public struct Relationship: Identifiable, Hashable, Sendable {
    /// The relationship's id, unique for the life of the store.
    public let id: RelationshipID
    /// The relationship type, such as `KNOWS`.
    public let type: String
    /// The node the relationship starts at.
    public let source: NodeID
    /// The node the relationship points to; equal to `source` for a self-loop.
    public let target: NodeID
    /// The properties by key.
    public internal(set) var properties: [String: PropertyValue]

    /// A relationship value; only the store's mutations put relationships into a store.
    public init(
        id: RelationshipID, type: String, source: NodeID, target: NodeID,
        properties: [String: PropertyValue] = [:]
    ) {
        self.id = id
        self.type = type
        self.source = source
        self.target = target
        self.properties = properties
    }
}
