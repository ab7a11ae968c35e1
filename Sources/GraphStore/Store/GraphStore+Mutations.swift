/// The mutation API: each method checks, applies its event and appends it to `events`.
///
/// `events` is owned by the caller (typically one list per transaction) so a
/// transaction can collect the events of many calls and hand them to the log
/// in one commit. On a throw, neither the store nor `events` has changed.
extension GraphStore {
    /// Applies `event` and, once it succeeded, appends it to `events`.
    private mutating func record(_ event: MutationEvent, into events: inout [MutationEvent]) throws(GraphStoreError) {
        try apply(event)
        events.append(event)
    }

    /// Creates a node with the next node id, and returns that id.
    ///
    /// Emits ``MutationEvent/createNode(id:labels:properties:)``. Throws
    /// ``GraphStoreError/Code/invalidValue`` for a value nested too deep and
    /// ``GraphStoreError/Code/idSpaceExhausted`` when no node id is left.
    @discardableResult
    public mutating func createNode(
        labels: Set<String> = [], properties: [String: PropertyValue] = [:], events: inout [MutationEvent]
    ) throws(GraphStoreError) -> NodeID {
        let id = nextNodeID
        try record(.createNode(id: id, labels: labels, properties: properties), into: &events)
        return id
    }

    /// Creates a relationship from `source` to `target` with the next
    /// relationship id, and returns that id.
    ///
    /// Both nodes must exist (``GraphStoreError/Code/nodeNotFound``
    /// otherwise); they may be the same node. Emits
    /// ``MutationEvent/createRelationship(id:type:source:target:properties:)``.
    @discardableResult
    public mutating func createRelationship(
        type: String, from source: NodeID, to target: NodeID, properties: [String: PropertyValue] = [:],
        events: inout [MutationEvent]
    ) throws(GraphStoreError) -> RelationshipID {
        let id = nextRelationshipID
        try record(
            .createRelationship(id: id, type: type, source: source, target: target, properties: properties),
            into: &events)
        return id
    }

    /// Sets property `key` of `node` to `value` and returns the value it replaced.
    ///
    /// Emits ``MutationEvent/setNodeProperty(node:key:value:)`` unless the
    /// property already had exactly this value. `.null` is stored like any
    /// other value; use ``removeNodeProperty(_:key:events:)`` to remove.
    @discardableResult
    public mutating func setNodeProperty(
        _ node: NodeID, key: String, value: PropertyValue, events: inout [MutationEvent]
    ) throws(GraphStoreError) -> PropertyValue? {
        let old = property(key, in: try existingRecord(node, "set property \(quoted(key)) of").properties)
        if old != value { try record(.setNodeProperty(node: node, key: key, value: value), into: &events) }
        return old
    }

    /// Removes property `key` of `node` and returns its value, or nil (and
    /// emits nothing) when the node had no such property.
    ///
    /// Emits ``MutationEvent/removeNodeProperty(node:key:)``.
    @discardableResult
    public mutating func removeNodeProperty(
        _ node: NodeID, key: String, events: inout [MutationEvent]
    ) throws(GraphStoreError) -> PropertyValue? {
        guard let old = property(key, in: try existingRecord(node, "remove property \(quoted(key)) of").properties) else {
            return nil
        }
        try record(.removeNodeProperty(node: node, key: key), into: &events)
        return old
    }

    /// Adds `label` to `node`; returns false (and emits nothing) if it had it.
    ///
    /// Emits ``MutationEvent/addNodeLabel(node:label:)``.
    @discardableResult
    public mutating func addNodeLabel(
        _ node: NodeID, label: String, events: inout [MutationEvent]
    ) throws(GraphStoreError) -> Bool {
        guard !labels(try existingRecord(node, "add label \(quoted(label)) to")).contains(label) else { return false }
        try record(.addNodeLabel(node: node, label: label), into: &events)
        return true
    }

    /// Removes `label` from `node`; returns false (and emits nothing) if it did not have it.
    ///
    /// Emits ``MutationEvent/removeNodeLabel(node:label:)``.
    @discardableResult
    public mutating func removeNodeLabel(
        _ node: NodeID, label: String, events: inout [MutationEvent]
    ) throws(GraphStoreError) -> Bool {
        guard labels(try existingRecord(node, "remove label \(quoted(label)) from")).contains(label) else { return false }
        try record(.removeNodeLabel(node: node, label: label), into: &events)
        return true
    }

    /// Sets property `key` of `relationship` to `value` and returns the value it replaced.
    ///
    /// Emits ``MutationEvent/setRelationshipProperty(relationship:key:value:)``
    /// unless the property already had exactly this value.
    @discardableResult
    public mutating func setRelationshipProperty(
        _ relationship: RelationshipID, key: String, value: PropertyValue, events: inout [MutationEvent]
    ) throws(GraphStoreError) -> PropertyValue? {
        let old = try existingRelationship(relationship, "set property \(quoted(key)) of").properties[key]
        if old != value {
            try record(.setRelationshipProperty(relationship: relationship, key: key, value: value), into: &events)
        }
        return old
    }

    /// Removes property `key` of `relationship` and returns its value, or nil
    /// (and emits nothing) when it had no such property.
    ///
    /// Emits ``MutationEvent/removeRelationshipProperty(relationship:key:)``.
    @discardableResult
    public mutating func removeRelationshipProperty(
        _ relationship: RelationshipID, key: String, events: inout [MutationEvent]
    ) throws(GraphStoreError) -> PropertyValue? {
        guard let old = try existingRelationship(relationship, "remove property \(quoted(key)) of").properties[key]
        else { return nil }
        try record(.removeRelationshipProperty(relationship: relationship, key: key), into: &events)
        return old
    }

    /// Deletes `relationship` and returns it.
    ///
    /// Emits ``MutationEvent/deleteRelationship(relationship:)``.
    @discardableResult
    public mutating func deleteRelationship(
        _ relationship: RelationshipID, events: inout [MutationEvent]
    ) throws(GraphStoreError) -> Relationship {
        let deleted = try existingRelationship(relationship, "delete")
        try record(.deleteRelationship(relationship: relationship), into: &events)
        return deleted
    }

    /// Deletes `node`, which must have no relationships, and returns it.
    ///
    /// A node with relationships is refused with
    /// ``GraphStoreError/Code/nodeHasRelationships`` (nothing changes), as in
    /// Cypher's `DELETE`; use ``detachDeleteNode(_:events:)`` to delete them
    /// too. Emits ``MutationEvent/deleteNode(node:)``.
    @discardableResult
    public mutating func deleteNode(_ node: NodeID, events: inout [MutationEvent]) throws(GraphStoreError) -> Node {
        let deleted = try existingNode(node, "delete")
        try record(.deleteNode(node: node), into: &events)
        return deleted
    }

    /// Deletes `node` and every relationship that starts or ends at it, and
    /// returns the node. O(degree of the node × degree of its neighbours).
    ///
    /// Emits one ``MutationEvent/detachDeleteNode(node:)``, which replays to
    /// the same deletions because it is applied to the same state.
    @discardableResult
    public mutating func detachDeleteNode(
        _ node: NodeID, events: inout [MutationEvent]
    ) throws(GraphStoreError) -> Node {
        let deleted = try existingNode(node, "detach-delete")
        try record(.detachDeleteNode(node: node), into: &events)
        return deleted
    }

    /// Deletes every node and relationship, keeping the id counters (ids are
    /// never reused). Emits ``MutationEvent/clear`` unless the store was already empty.
    public mutating func clear(events: inout [MutationEvent]) {
        guard !isEmpty else { return }
        // `clear` has no precondition to fail on.
        try? record(.clear, into: &events)
    }

    private func existingRecord(_ node: NodeID, _ action: @autoclosure () -> String) throws(GraphStoreError) -> NodeRecord {
        guard let record = nodeRecords[node.rawValue] else {
            throw GraphStoreError(.nodeNotFound, "cannot \(action()) node \(node): it does not exist")
        }
        return record
    }

    private func existingNode(_ node: NodeID, _ action: @autoclosure () -> String) throws(GraphStoreError) -> Node {
        guard let record = nodeRecords[node.rawValue] else {
            throw GraphStoreError(.nodeNotFound, "cannot \(action()) node \(node): it does not exist")
        }
        return self.node(node.rawValue, record)
    }

    private func existingRelationship(
        _ relationship: RelationshipID, _ action: @autoclosure () -> String
    ) throws(GraphStoreError) -> Relationship {
        guard let found = relationshipRecords[relationship.rawValue] else {
            throw GraphStoreError(
                .relationshipNotFound, "cannot \(action()) relationship \(relationship): it does not exist")
        }
        return self.relationship(relationship.rawValue, found)
    }
}
