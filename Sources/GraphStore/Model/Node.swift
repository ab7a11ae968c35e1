/// A node as the store holds it: its id, its labels and its properties.
///
/// A `Node` is a value: the one a read returns is a copy, and changing it
/// does not change the store (use the store's mutation methods for that).
public struct Node: Identifiable, Hashable, Sendable {
    /// The node's id, unique for the life of the store.
    public let id: NodeID
    /// The labels, such as `Person`; a node may have none.
    public internal(set) var labels: Set<String>
    /// The properties by key.
    public internal(set) var properties: [String: PropertyValue]

    /// A node value; only the store's mutations put nodes into a store.
    public init(id: NodeID, labels: Set<String> = [], properties: [String: PropertyValue] = [:]) {
        self.id = id
        self.labels = labels
        self.properties = properties
    }
}
