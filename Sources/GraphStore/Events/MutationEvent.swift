/// One change to the graph, as the store emits it and the log records it.
///
/// Every mutation method of ``GraphStore`` appends the event that describes
/// its change, and ``GraphStore/apply(_:)`` performs exactly that change
/// again during recovery. Events carry ids explicitly (creations included),
/// so replaying them reproduces the same ids and id counters.
///
/// The binary form is described on ``MutationEvent/encode(into:)``.
public enum MutationEvent: Sendable, Hashable {
    /// A node was created with these labels and properties.
    case createNode(id: NodeID, labels: Set<String>, properties: [String: PropertyValue])
    /// A relationship was created between two existing nodes.
    case createRelationship(
        id: RelationshipID, type: String, source: NodeID, target: NodeID, properties: [String: PropertyValue])
    /// A node property was set (added or replaced).
    case setNodeProperty(node: NodeID, key: String, value: PropertyValue)
    /// A node property was removed.
    case removeNodeProperty(node: NodeID, key: String)
    /// A label was added to a node.
    case addNodeLabel(node: NodeID, label: String)
    /// A label was removed from a node.
    case removeNodeLabel(node: NodeID, label: String)
    /// A relationship property was set (added or replaced).
    case setRelationshipProperty(relationship: RelationshipID, key: String, value: PropertyValue)
    /// A relationship property was removed.
    case removeRelationshipProperty(relationship: RelationshipID, key: String)
    /// A relationship was deleted.
    case deleteRelationship(relationship: RelationshipID)
    /// A node without relationships was deleted.
    case deleteNode(node: NodeID)
    /// A node was deleted together with every relationship that touches it.
    ///
    /// One event, not one per relationship: applying it to the same state
    /// deletes the same relationships, and the log stays small for a node
    /// with many of them.
    case detachDeleteNode(node: NodeID)
    /// Every node and relationship was deleted; the id counters were kept.
    case clear
    /// A property index on (`label`, `key`) was created, a unique
    /// constraint when `unique`; applying it builds the index from the
    /// nodes present.
    case createIndex(label: String, key: String, unique: Bool)
    /// The property index on (`label`, `key`) was dropped.
    case dropIndex(label: String, key: String)
    /// A note the transaction carries for the layer above (the HTTP
    /// server's idempotency keys): `name` says whose, `text` is theirs.
    ///
    /// Logged with the transaction's other events, so it commits (or is
    /// lost) with them; applying it changes nothing in the graph. Recovery
    /// hands replayed annotations to the database's caller.
    case annotation(name: String, text: String)

    /// The event's name, as it appears in its description and in errors.
    public var name: String {
        switch self {
        case .createNode: "createNode"
        case .createRelationship: "createRelationship"
        case .setNodeProperty: "setNodeProperty"
        case .removeNodeProperty: "removeNodeProperty"
        case .addNodeLabel: "addNodeLabel"
        case .removeNodeLabel: "removeNodeLabel"
        case .setRelationshipProperty: "setRelationshipProperty"
        case .removeRelationshipProperty: "removeRelationshipProperty"
        case .deleteRelationship: "deleteRelationship"
        case .deleteNode: "deleteNode"
        case .detachDeleteNode: "detachDeleteNode"
        case .clear: "clear"
        case .createIndex: "createIndex"
        case .dropIndex: "dropIndex"
        case .annotation: "annotation"
        }
    }
}

extension MutationEvent: CustomStringConvertible {
    /// A deterministic one-line rendering (labels and keys sorted), for logs
    /// and operator dumps.
    public var description: String {
        var text = name
        switch self {
        case .createNode(let id, let labels, let properties):
            text += "(id: \(id), labels: ["
            for (index, label) in labels.sorted().enumerated() {
                if index > 0 { text += ", " }
                writeQuoted(label, to: &text)
            }
            text += "], properties: "
            writeProperties(properties, to: &text)
        case .createRelationship(let id, let type, let source, let target, let properties):
            text += "(id: \(id), type: "
            writeQuoted(type, to: &text)
            text += ", source: \(source), target: \(target), properties: "
            writeProperties(properties, to: &text)
        case .setNodeProperty(let node, let key, let value):
            text += "(node: \(node), key: "
            writeQuoted(key, to: &text)
            text += ", value: "
            value.write(to: &text)
        case .removeNodeProperty(let node, let key):
            text += "(node: \(node), key: "
            writeQuoted(key, to: &text)
        case .addNodeLabel(let node, let label), .removeNodeLabel(let node, let label):
            text += "(node: \(node), label: "
            writeQuoted(label, to: &text)
        case .setRelationshipProperty(let relationship, let key, let value):
            text += "(relationship: \(relationship), key: "
            writeQuoted(key, to: &text)
            text += ", value: "
            value.write(to: &text)
        case .removeRelationshipProperty(let relationship, let key):
            text += "(relationship: \(relationship), key: "
            writeQuoted(key, to: &text)
        case .deleteRelationship(let relationship):
            text += "(relationship: \(relationship)"
        case .deleteNode(let node), .detachDeleteNode(let node):
            text += "(node: \(node)"
        case .clear:
            return text
        case .createIndex(let label, let key, let unique):
            text += "(label: "
            writeQuoted(label, to: &text)
            text += ", key: "
            writeQuoted(key, to: &text)
            text += ", unique: \(unique)"
        case .dropIndex(let label, let key):
            text += "(label: "
            writeQuoted(label, to: &text)
            text += ", key: "
            writeQuoted(key, to: &text)
        case .annotation(let name, let note):
            text += "(name: "
            writeQuoted(name, to: &text)
            text += ", text: "
            writeQuoted(note, to: &text)
        }
        return text + ")"
    }
}
