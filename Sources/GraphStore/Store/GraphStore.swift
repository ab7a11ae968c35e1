import HashTreeCollections

/// An in-memory property graph: nodes with labels and properties, typed
/// directed relationships between them, a label index and adjacency lists.
///
/// `GraphStore` is a value, and that is what makes transactions cheap for
/// the layer above: keep the old value, mutate, and on failure put the old
/// value back. Its storage is persistent (radix tries keyed by id, hash
/// tries for the property indexes, see `IDMap`, `IDSet`, `PropertyIndex`):
/// a copy shares everything, and a write to it copies only the paths to
/// what it touches, so a transaction that touches k entities costs
/// O(k log n), whatever the size of the graph or the degree of a node.
///
/// Every mutation method appends the ``MutationEvent`` that describes its
/// change to an `events` list the caller owns; ``apply(_:)`` performs one
/// such event again, without emitting, during recovery. A mutation that
/// throws has changed nothing and emitted nothing; one that would change
/// nothing (setting a property to the value it has, adding a label the node
/// already has) emits nothing.
///
/// Ids: nodes and relationships each have a counter starting at `0`; a
/// creation takes the counter's value and moves it past. Ids are never
/// reused, not even after ``clear(events:)``, so a stale id held by a client
/// can only miss, never find a different entity. Replaying a creation event
/// moves the counter past the event's id, so replay reproduces the ids.
///
/// Two stores are equal when they hold the same nodes, relationships, id
/// counters and index definitions (the indexes' contents follow from
/// those), which is how tests prove that recovery rebuilt the committed
/// graph. The intern tables (label sets, property keys, relationship
/// types) do not count: they are how the store holds the graph, not what
/// the graph is.
///
/// Not thread-safe by itself, like any value: share it through an actor or
/// a mutex, or hand out copies (which is cheap) to readers.
public struct GraphStore: Sendable {
    /// Nodes with their adjacency, by id.
    var nodeRecords = IDMap<NodeRecord>()
    /// Relationships by id.
    var relationshipRecords = IDMap<RelationshipRecord>()
    /// The ids of the nodes carrying each label; a label with no nodes has
    /// no entry. Persistent, like the tables below: a `Dictionary` shared
    /// with the committed version is copied whole by a transaction's first
    /// write to it, which made every node creation cost O(labels).
    var labelIndex: TreeDictionary<String, IDSet> = [:]
    /// How many relationships have each type; a type with none has no entry.
    var relationshipTypeCounts: TreeDictionary<String, Int> = [:]
    /// The property indexes, by label and then by key; a label without
    /// indexes has no entry.
    var propertyIndexes: [String: [String: PropertyIndex]] = [:]
    /// Each distinct label set once, numbered; nodes hold the number.
    var labelSets = LabelSets()
    /// Property keys by number, for the records' encoded properties.
    var propertyKeys = NameTable()
    /// Relationship types by number.
    var relationshipTypes = NameTable()

    /// The id the next created node gets.
    public internal(set) var nextNodeID: NodeID = 0
    /// The id the next created relationship gets.
    public internal(set) var nextRelationshipID: RelationshipID = 0

    /// An empty graph whose first node and first relationship get id `0`.
    public init() {}

    /// The number of nodes. O(1).
    public var nodeCount: Int { nodeRecords.count }
    /// The number of relationships. O(1).
    public var relationshipCount: Int { relationshipRecords.count }
    /// Whether the graph has no nodes (and so no relationships).
    public var isEmpty: Bool { nodeRecords.isEmpty }
}
