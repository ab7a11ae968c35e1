import GraphStore

/// One op of a `POST /tx` body, checked and typed.
enum Operation: Sendable, Equatable {
    case createNode(ref: String?, labels: [String], properties: [String: PropertyValue])
    case createRelationship(
        ref: String?, type: String, from: EntityReference, to: EntityReference, properties: [String: PropertyValue])
    case setNodeProperty(node: EntityReference, key: String, value: PropertyValue)
    case removeNodeProperty(node: EntityReference, key: String)
    case addLabel(node: EntityReference, label: String)
    case removeLabel(node: EntityReference, label: String)
    case setRelationshipProperty(relationship: EntityReference, key: String, value: PropertyValue)
    case removeRelationshipProperty(relationship: EntityReference, key: String)
    case deleteRelationship(relationship: EntityReference)
    case deleteNode(node: EntityReference)
    case detachDeleteNode(node: EntityReference)
    case clear
    case mergeNode(
        ref: String?, label: String, key: String, value: PropertyValue, labels: [String],
        properties: [String: PropertyValue])
    case createIndex(label: String, key: String, unique: Bool)
    case dropIndex(label: String, key: String)
    /// Fails the transaction with 409 `assertion_failed` unless the
    /// property's current value is `expected` (nil: the property is absent).
    case assertProperty(target: PropertyOwner, key: String, expected: PropertyValue?)

    /// The op's name as the JSON spells it.
    var name: String {
        switch self {
        case .createNode: "createNode"
        case .createRelationship: "createRelationship"
        case .setNodeProperty: "setNodeProperty"
        case .removeNodeProperty: "removeNodeProperty"
        case .addLabel: "addLabel"
        case .removeLabel: "removeLabel"
        case .setRelationshipProperty: "setRelationshipProperty"
        case .removeRelationshipProperty: "removeRelationshipProperty"
        case .deleteRelationship: "deleteRelationship"
        case .deleteNode: "deleteNode"
        case .detachDeleteNode: "detachDeleteNode"
        case .clear: "clear"
        case .mergeNode: "mergeNode"
        case .createIndex: "createIndex"
        case .dropIndex: "dropIndex"
        case .assertProperty: "assert"
        }
    }
}

/// The entity whose property an `assert` op checks.
enum PropertyOwner: Sendable, Equatable {
    case node(EntityReference)
    case relationship(EntityReference)
}
