/// Property indexes: creating and dropping them, finding nodes through
/// them, and `mergeNode`.
///
/// An index on (label, key) maps each value of property `key` to the
/// nodes carrying `label` that have it. It is kept up to date by every
/// mutation (a node gaining or losing the label or the property moves in
/// or out of it), logged as a ``MutationEvent/createIndex(label:key:unique:)``
/// or ``MutationEvent/dropIndex(label:key:)`` event like any other change,
/// kept in snapshots as its definition and rebuilt from the nodes when a
/// snapshot loads. A unique index is also a constraint: no two nodes with
/// the label may have the same value of the key, and a mutation that would
/// break that throws ``GraphStoreError/Code/uniqueConstraintViolation`` and
/// changes nothing.
extension GraphStore {
    /// Creates an index on property `key` of the nodes carrying `label`,
    /// built from the nodes present; returns false (and emits nothing) when
    /// that index already exists with the same uniqueness.
    ///
    /// Throws ``GraphStoreError/Code/uniqueConstraintViolation`` when
    /// `unique` and two such nodes share a value, and
    /// ``GraphStoreError/Code/indexConflict`` when the index exists with the
    /// other uniqueness. Emits ``MutationEvent/createIndex(label:key:unique:)``.
    /// O(nodes with the label).
    @discardableResult
    public mutating func createIndex(
        label: String, key: String, unique: Bool = false, events: inout [MutationEvent]
    ) throws(GraphStoreError) -> Bool {
        if let existing = propertyIndexes[label]?[key], existing.isUnique == unique { return false }
        let event = MutationEvent.createIndex(label: label, key: key, unique: unique)
        try apply(event)
        events.append(event)
        return true
    }

    /// Drops the index on (`label`, `key`); returns false (and emits
    /// nothing) when there is none. Emits ``MutationEvent/dropIndex(label:key:)``.
    @discardableResult
    public mutating func dropIndex(label: String, key: String, events: inout [MutationEvent]) -> Bool {
        guard propertyIndexes[label]?[key] != nil else { return false }
        let event = MutationEvent.dropIndex(label: label, key: key)
        // Dropping an index that exists has no precondition to fail on.
        try? apply(event)
        events.append(event)
        return true
    }

    /// The node carrying `label` whose property `key` equals `value`, found
    /// through the unique index on (`label`, `key`), or a new node created
    /// with `labels` plus `label` and `properties` plus `key: value`.
    ///
    /// Atomic within the caller's transaction: the lookup and the creation
    /// see the same graph, and the unique index guarantees there is at most
    /// one match. `properties` are set only on creation. Throws
    /// ``GraphStoreError/Code/indexNotFound`` unless a unique index on
    /// (`label`, `key`) exists. Emits a
    /// ``MutationEvent/createNode(id:labels:properties:)`` when it creates,
    /// nothing when it finds. O(log n).
    public mutating func mergeNode(
        label: String, key: String, value: PropertyValue, labels: Set<String> = [],
        properties: [String: PropertyValue] = [:], events: inout [MutationEvent]
    ) throws(GraphStoreError) -> (id: NodeID, created: Bool) {
        guard propertyIndexes[label]?[key]?.isUnique == true else {
            throw GraphStoreError(
                .indexNotFound,
                "cannot merge a node on \(quoted(label)).\(quoted(key)): mergeNode needs a unique index on that label and key; create one first"
            )
        }
        // No copy of the index is held into the creation below (it would
        // make the creation copy the index's path).
        if let found = propertyIndexes[label]?[key]?.firstNode(with: value, valueOf: { propertyValue(of: $0, key) }) {
            return (NodeID(found), false)
        }
        var properties = properties
        properties[key] = value
        let id = try createNode(labels: labels.union([label]), properties: properties, events: &events)
        return (id, true)
    }

    /// The property indexes, sorted by label and key.
    public var indexes: [PropertyIndexDescription] {
        propertyIndexes.flatMap { label, byKey in
            byKey.map { PropertyIndexDescription(label: label, key: $0.key, isUnique: $0.value.isUnique) }
        }.sorted()
    }

    /// The index on (`label`, `key`), if there is one.
    public func index(label: String, key: String) -> PropertyIndexDescription? {
        propertyIndexes[label]?[key].map { PropertyIndexDescription(label: label, key: key, isUnique: $0.isUnique) }
    }
}
