/// Applying events: the one place where the graph changes.
///
/// The mutation methods build their event and call ``GraphStore/apply(_:)``,
/// so what a transaction did and what recovery redoes run the same code and
/// cannot drift apart.
extension GraphStore {
    /// Performs the change `event` describes, without emitting anything.
    ///
    /// Used by recovery to replay the log; it reproduces the state the event
    /// was emitted from, id counters included (a `createNode` with id 7 moves
    /// the node counter to at least 8). Throws, changing nothing, when the
    /// event does not fit the current state: an entity it names is missing,
    /// an id it creates is in use or is the last of the id space, a node it
    /// plainly deletes still has relationships, or a value nests too deep.
    ///
    /// Removing a property or label that is not there is not an error: the
    /// entity is in the state the event asks for.
    public mutating func apply(_ event: MutationEvent) throws(GraphStoreError) {
        try checkValues(of: event)
        switch event {
        case .createNode(let id, let labels, let properties):
            guard id.rawValue < UInt64.max else {
                throw GraphStoreError(.idSpaceExhausted, "cannot create node \(id): the node id space is exhausted")
            }
            guard !nodeRecords.contains(id.rawValue) else {
                throw GraphStoreError(.idInUse, "cannot create node \(id): a node with that id already exists")
            }
            nodeRecords.insert(NodeRecord(node: Node(id: id, labels: labels, properties: properties)), for: id.rawValue)
            for label in labels { labelIndex[label, default: IDSet()].insert(id.rawValue) }
            if id >= nextNodeID { nextNodeID = NodeID(id.rawValue + 1) }

        case .createRelationship(let id, let type, let source, let target, let properties):
            guard id.rawValue < UInt64.max else {
                throw GraphStoreError(
                    .idSpaceExhausted, "cannot create relationship \(id): the relationship id space is exhausted")
            }
            guard !relationshipRecords.contains(id.rawValue) else {
                throw GraphStoreError(
                    .idInUse, "cannot create relationship \(id): a relationship with that id already exists")
            }
            for (role, node) in [("source", source), ("target", target)] where !nodeRecords.contains(node.rawValue) {
                throw GraphStoreError(
                    .nodeNotFound,
                    "cannot create relationship \(id) of type \(quoted(type)) from node \(source) to node \(target): its \(role) node \(node) does not exist"
                )
            }
            relationshipRecords.insert(
                Relationship(id: id, type: type, source: source, target: target, properties: properties),
                for: id.rawValue)
            nodeRecords.update(source.rawValue) { $0.outgoing.insertSorted(id) }
            nodeRecords.update(target.rawValue) { $0.incoming.insertSorted(id) }
            relationshipTypeCounts[type, default: 0] += 1
            if id >= nextRelationshipID { nextRelationshipID = RelationshipID(id.rawValue + 1) }

        case .setNodeProperty(let node, let key, let value):
            try updateNode(node, "set property \(quoted(key)) of") { $0.node.properties[key] = value }

        case .removeNodeProperty(let node, let key):
            try updateNode(node, "remove property \(quoted(key)) of") { $0.node.properties[key] = nil }

        case .addNodeLabel(let node, let label):
            let added = try updateNode(node, "add label \(quoted(label)) to") { $0.node.labels.insert(label).inserted }
            if added { labelIndex[label, default: IDSet()].insert(node.rawValue) }

        case .removeNodeLabel(let node, let label):
            let removed = try updateNode(node, "remove label \(quoted(label)) from") {
                $0.node.labels.remove(label) != nil
            }
            if removed { unindex(node, label: label) }

        case .setRelationshipProperty(let relationship, let key, let value):
            try updateRelationship(relationship, "set property \(quoted(key)) of") { $0.properties[key] = value }

        case .removeRelationshipProperty(let relationship, let key):
            try updateRelationship(relationship, "remove property \(quoted(key)) of") { $0.properties[key] = nil }

        case .deleteRelationship(let relationship):
            guard let removed = relationshipRecords.remove(relationship.rawValue) else {
                throw GraphStoreError(
                    .relationshipNotFound, "cannot delete relationship \(relationship): it does not exist")
            }
            nodeRecords.update(removed.source.rawValue) { $0.outgoing.removeSorted(relationship) }
            nodeRecords.update(removed.target.rawValue) { $0.incoming.removeSorted(relationship) }
            countDown(type: removed.type)

        case .deleteNode(let node):
            guard let record = nodeRecords[node.rawValue] else {
                throw GraphStoreError(.nodeNotFound, "cannot delete node \(node): it does not exist")
            }
            guard !record.hasRelationships else {
                throw GraphStoreError(
                    .nodeHasRelationships,
                    "cannot delete node \(node): it still has \(record.outgoing.count) outgoing and \(record.incoming.count) incoming relationships; detach-delete it or delete them first"
                )
            }
            removeNode(record)

        case .detachDeleteNode(let node):
            guard let record = nodeRecords[node.rawValue] else {
                throw GraphStoreError(.nodeNotFound, "cannot detach-delete node \(node): it does not exist")
            }
            // The node's own adjacency goes with it, so only the other
            // endpoints' lists are edited: O(degree), not O(degree²).
            for relationship in record.outgoing {
                guard let removed = relationshipRecords.remove(relationship.rawValue) else { continue }
                if removed.target != node {
                    nodeRecords.update(removed.target.rawValue) { $0.incoming.removeSorted(relationship) }
                }
                countDown(type: removed.type)
            }
            for relationship in record.incoming {
                // A self-loop is in both lists and was removed above.
                guard let removed = relationshipRecords.remove(relationship.rawValue) else { continue }
                nodeRecords.update(removed.source.rawValue) { $0.outgoing.removeSorted(relationship) }
                countDown(type: removed.type)
            }
            removeNode(record)

        case .clear:
            nodeRecords.removeAll()
            relationshipRecords.removeAll()
            labelIndex = [:]
            relationshipTypeCounts = [:]

        case .annotation:
            // For the layer above; the graph is as it was.
            break
        }
    }

    /// Refuses values the codec could not write or read back.
    private func checkValues(of event: MutationEvent) throws(GraphStoreError) {
        for (key, value) in event.values where !value.isWithinNestingLimit {
            throw GraphStoreError(
                .invalidValue,
                "the value of property \(quoted(key)) in \(event.name) nests deeper than \(PropertyValue.maximumNestingDepth) levels of lists and maps"
            )
        }
    }

    @discardableResult
    private mutating func updateNode<Result>(
        _ node: NodeID, _ action: @autoclosure () -> String, _ body: (inout NodeRecord) -> Result
    ) throws(GraphStoreError) -> Result {
        guard let result = nodeRecords.update(node.rawValue, body) else {
            throw GraphStoreError(.nodeNotFound, "cannot \(action()) node \(node): it does not exist")
        }
        return result
    }

    private mutating func updateRelationship(
        _ relationship: RelationshipID, _ action: @autoclosure () -> String, _ body: (inout Relationship) -> Void
    ) throws(GraphStoreError) {
        guard relationshipRecords.update(relationship.rawValue, body) != nil else {
            throw GraphStoreError(
                .relationshipNotFound, "cannot \(action()) relationship \(relationship): it does not exist")
        }
    }

    /// Removes a node whose relationships are already gone, and its index entries.
    private mutating func removeNode(_ record: NodeRecord) {
        nodeRecords.remove(record.node.id.rawValue)
        for label in record.node.labels { unindex(record.node.id, label: label) }
    }

    private mutating func unindex(_ node: NodeID, label: String) {
        guard var ids = labelIndex.removeValue(forKey: label) else { return }
        ids.remove(node.rawValue)
        // Put back only a non-empty set: equal graphs have equal indexes.
        if !ids.isEmpty { labelIndex[label] = ids }
    }

    private mutating func countDown(type: String) {
        guard let count = relationshipTypeCounts[type] else { return }
        relationshipTypeCounts[type] = count > 1 ? count - 1 : nil
    }
}
