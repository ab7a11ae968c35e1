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
            // A taken id is reported as such before any constraint. An id
            // above every other (a creation's, nearly always) needs no walk
            // of the trie to know it is free.
            if let last = nodeRecords.lastID, id.rawValue <= last, nodeRecords.contains(id.rawValue) {
                throw Self.nodeIDInUse(id)
            }
            if !propertyIndexes.isEmpty {
                try checkUnique(node: id, labels: labels, properties: properties, "create node \(id)")
            }
            let record = NodeRecord(
                labelSet: internLabelSet(labels), properties: propertyBlob(properties))
            nodeRecords.insert(record, for: id.rawValue)
            for label in labels {
                labelIndex.insert(id.rawValue, label: label)
                indexProperties(of: id, label: label, properties)
            }
            if id >= nextNodeID { nextNodeID = NodeID(id.rawValue + 1) }

        case .createRelationship(let id, let type, let source, let target, let properties):
            guard id.rawValue < UInt64.max else {
                throw GraphStoreError(
                    .idSpaceExhausted, "cannot create relationship \(id): the relationship id space is exhausted")
            }
            for (role, node) in [("source", source), ("target", target)] where !nodeRecords.contains(node.rawValue) {
                guard !relationshipRecords.contains(id.rawValue) else { throw Self.relationshipIDInUse(id) }
                throw GraphStoreError(
                    .nodeNotFound,
                    "cannot create relationship \(id) of type \(quoted(type)) from node \(source) to node \(target): its \(role) node \(node) does not exist"
                )
            }
            if let last = relationshipRecords.lastID, id.rawValue <= last, relationshipRecords.contains(id.rawValue) {
                throw Self.relationshipIDInUse(id)
            }
            let record = RelationshipRecord(
                source: source, target: target, type: internRelationshipType(type),
                properties: propertyBlob(properties))
            relationshipRecords.insert(record, for: id.rawValue)
            nodeRecords.update(source.rawValue) { $0.updateAdjacency { outgoing, _ in outgoing.insert(id.rawValue) } }
            nodeRecords.update(target.rawValue) { $0.updateAdjacency { _, incoming in incoming.insert(id.rawValue) } }
            relationshipTypeCounts[type, default: 0] += 1
            if id >= nextRelationshipID { nextRelationshipID = RelationshipID(id.rawValue + 1) }

        case .setNodeProperty(let node, let key, let value):
            let action = "set property \(quoted(key)) of"
            let labels = try existingLabels(node, action)
            try checkUnique(node: node, labels: labels, properties: [key: value], "\(action) node \(node)")
            let keyID = internPropertyKey(key)
            let old = try updateNode(node, action) { record -> PropertyValue? in
                let (blob, old) = record.properties.replacing(keyID, with: value)
                record.properties = blob
                return old
            }
            reindex(node, labels: labels, key: key, from: old, to: value)

        case .removeNodeProperty(let node, let key):
            let action = "remove property \(quoted(key)) of"
            let labels = try existingLabels(node, action)
            guard let keyID = propertyKeys.id(of: key) else { break }
            let old = try updateNode(node, action) { record -> PropertyValue? in
                let (blob, old) = record.properties.replacing(keyID, with: nil)
                if old != nil { record.properties = blob }
                return old
            }
            reindex(node, labels: labels, key: key, from: old, to: nil)

        case .addNodeLabel(let node, let label):
            let action = "add label \(quoted(label)) to"
            guard let record = nodeRecords[node.rawValue] else {
                throw GraphStoreError(.nodeNotFound, "cannot \(action) node \(node): it does not exist")
            }
            let current = labels(record)
            guard !current.contains(label) else { break }
            let properties = properties(record.properties)
            try checkUnique(node: node, labels: [label], properties: properties, "\(action) node \(node)")
            let labelSet = internLabelSet(current.union([label]))
            try updateNode(node, action) { $0.labelSet = labelSet }
            labelIndex.insert(node.rawValue, label: label)
            indexProperties(of: node, label: label, properties)

        case .removeNodeLabel(let node, let label):
            let action = "remove label \(quoted(label)) from"
            guard let record = nodeRecords[node.rawValue] else {
                throw GraphStoreError(.nodeNotFound, "cannot \(action) node \(node): it does not exist")
            }
            let current = labels(record)
            guard current.contains(label) else { break }
            let labelSet = internLabelSet(current.subtracting([label]))
            try updateNode(node, action) { $0.labelSet = labelSet }
            unindex(node, label: label, properties: record.properties)

        case .setRelationshipProperty(let relationship, let key, let value):
            let action = "set property \(quoted(key)) of"
            guard relationshipRecords.contains(relationship.rawValue) else {
                throw Self.relationshipNotFound(relationship, action)
            }
            let keyID = internPropertyKey(key)
            try updateRelationship(relationship, action) { $0.properties = $0.properties.replacing(keyID, with: value).blob }

        case .removeRelationshipProperty(let relationship, let key):
            let action = "remove property \(quoted(key)) of"
            guard let keyID = propertyKeys.id(of: key) else {
                guard relationshipRecords.contains(relationship.rawValue) else {
                    throw Self.relationshipNotFound(relationship, action)
                }
                break
            }
            try updateRelationship(relationship, action) { $0.properties = $0.properties.replacing(keyID, with: nil).blob }

        case .deleteRelationship(let relationship):
            guard let removed = relationshipRecords.remove(relationship.rawValue) else {
                throw GraphStoreError(
                    .relationshipNotFound, "cannot delete relationship \(relationship): it does not exist")
            }
            nodeRecords.update(removed.source.rawValue) {
                $0.updateAdjacency { outgoing, _ in outgoing.remove(relationship.rawValue) }
            }
            nodeRecords.update(removed.target.rawValue) {
                $0.updateAdjacency { _, incoming in incoming.remove(relationship.rawValue) }
            }
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
            removeNode(node, record)

        case .detachDeleteNode(let node):
            guard let record = nodeRecords[node.rawValue] else {
                throw GraphStoreError(.nodeNotFound, "cannot detach-delete node \(node): it does not exist")
            }
            // The node's own adjacency goes with it, so only the other
            // endpoints' lists are edited: O(degree), not O(degree²).
            for id in record.outgoing {
                guard let removed = relationshipRecords.remove(id) else { continue }
                if removed.target != node {
                    nodeRecords.update(removed.target.rawValue) { $0.updateAdjacency { _, incoming in incoming.remove(id) } }
                }
                countDown(type: removed.type)
            }
            for id in record.incoming {
                // A self-loop is in both lists and was removed above.
                guard let removed = relationshipRecords.remove(id) else { continue }
                nodeRecords.update(removed.source.rawValue) { $0.updateAdjacency { outgoing, _ in outgoing.remove(id) } }
                countDown(type: removed.type)
            }
            removeNode(node, record)

        case .clear:
            nodeRecords.removeAll()
            relationshipRecords.removeAll()
            labelIndex.removeAll()
            relationshipTypeCounts = [:]
            // The definitions stay: an index outlives the nodes it indexes.
            for label in Array(propertyIndexes.keys) {
                for key in indexedKeys(label) { propertyIndexes[label]?[key]?.removeAll() }
            }

        case .createIndex(let label, let key, let isUnique):
            try createIndex(label: label, key: key, isUnique: isUnique)

        case .dropIndex(let label, let key):
            propertyIndexes[label]?[key] = nil
            if propertyIndexes[label]?.isEmpty == true { propertyIndexes[label] = nil }

        case .annotation:
            // For the layer above; the graph is as it was.
            break
        }
    }

    /// Refuses values the codec could not write or read back.
    private func checkValues(of event: MutationEvent) throws(GraphStoreError) {
        guard let (key, _) = event.firstValueTooDeep else { return }
        throw GraphStoreError(
            .invalidValue,
            "the value of property \(quoted(key)) in \(event.name) nests deeper than \(PropertyValue.maximumNestingDepth) levels of lists and maps"
        )
    }

    static func nodeIDInUse(_ id: NodeID) -> GraphStoreError {
        GraphStoreError(.idInUse, "cannot create node \(id): a node with that id already exists")
    }

    private static func relationshipIDInUse(_ id: RelationshipID) -> GraphStoreError {
        GraphStoreError(.idInUse, "cannot create relationship \(id): a relationship with that id already exists")
    }

    private static func relationshipNotFound(_ relationship: RelationshipID, _ action: String) -> GraphStoreError {
        GraphStoreError(.relationshipNotFound, "cannot \(action) relationship \(relationship): it does not exist")
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
        _ relationship: RelationshipID, _ action: @autoclosure () -> String, _ body: (inout RelationshipRecord) -> Void
    ) throws(GraphStoreError) {
        guard relationshipRecords.update(relationship.rawValue, body) != nil else {
            throw GraphStoreError(
                .relationshipNotFound, "cannot \(action()) relationship \(relationship): it does not exist")
        }
    }

    /// Removes a node whose relationships are already gone, and its index entries.
    private mutating func removeNode(_ node: NodeID, _ record: NodeRecord) {
        nodeRecords.remove(node.rawValue)
        for label in labels(record) { unindex(node, label: label, properties: record.properties) }
    }

    /// Removes `node` from the label index of `label` and from the property
    /// indexes on `label`.
    private mutating func unindex(_ node: NodeID, label: String, properties: PropertyBlob) {
        labelIndex.remove(node.rawValue, label: label)
        for key in indexedKeys(label) {
            guard let value = property(key, in: properties) else { continue }
            propertyIndexes[label]?[key]?.remove(value, for: node.rawValue)
        }
    }

    /// Adds `node` to the property indexes on `label` for the keys it has.
    mutating func indexProperties(of node: NodeID, label: String, _ properties: [String: PropertyValue]) {
        for key in indexedKeys(label) {
            guard let value = properties[key] else { continue }
            propertyIndexes[label]?[key]?.insert(value, for: node.rawValue)
        }
    }

    /// The refusal of a change that would give a uniquely indexed value
    /// of `label`'s nodes to a second node.
    static func uniqueValueTaken(
        by other: UInt64, label: String, key: String, value: PropertyValue, action: String
    ) -> GraphStoreError {
        GraphStoreError(
            .uniqueConstraintViolation,
            "cannot \(action): node \(other) with label \(quoted(label)) already has \(quoted(key)) = \(value), and that key is unique"
        )
    }

    /// The keys indexed on `label`, copied out. Loops that change the
    /// indexes go over this copy: a `keys` view held across the changes
    /// would share the label's dictionary, and every change would then
    /// copy it and a path of each index trie, even where nothing else
    /// holds the store (a recovery's replay: twenty times slower with a
    /// unique index on every node).
    private func indexedKeys(_ label: String) -> [String] {
        propertyIndexes[label].map { Array($0.keys) } ?? []
    }

    /// Moves `node` from `old` to `new` in the indexes on `key` of its labels.
    private mutating func reindex(
        _ node: NodeID, labels: Set<String>, key: String, from old: PropertyValue?, to new: PropertyValue?
    ) {
        guard old != new else { return }
        for label in labels where propertyIndexes[label]?[key] != nil {
            if let old { propertyIndexes[label]?[key]?.remove(old, for: node.rawValue) }
            if let new { propertyIndexes[label]?[key]?.insert(new, for: node.rawValue) }
        }
    }

    private func existingLabels(_ node: NodeID, _ action: String) throws(GraphStoreError) -> Set<String> {
        guard let record = nodeRecords[node.rawValue] else {
            throw GraphStoreError(.nodeNotFound, "cannot \(action) node \(node): it does not exist")
        }
        return labels(record)
    }

    /// Throws when `node`, carrying `labels` and `properties`, would share a
    /// value of a uniquely indexed key with another node of the same label.
    func checkUnique(
        node: NodeID, labels: Set<String>, properties: [String: PropertyValue], _ action: @autoclosure () -> String
    ) throws(GraphStoreError) {
        for label in labels {
            guard let indexes = propertyIndexes[label] else { continue }
            for (key, index) in indexes where index.isUnique {
                guard let value = properties[key],
                    let other = index.otherNode(with: value, than: node.rawValue, valueOf: { propertyValue(of: $0, key) })
                else {
                    continue
                }
                throw Self.uniqueValueTaken(by: other, label: label, key: key, value: value, action: action())
            }
        }
    }

    /// Builds the index on (`label`, `key`) from the nodes that have both.
    private mutating func createIndex(label: String, key: String, isUnique: Bool) throws(GraphStoreError) {
        if let existing = propertyIndexes[label]?[key] {
            guard existing.isUnique == isUnique else {
                throw GraphStoreError(
                    .indexConflict,
                    "cannot create \(isUnique ? "a unique" : "a non-unique") index on \(quoted(label)).\(quoted(key)): \(existing.isUnique ? "a unique" : "a non-unique") one exists; drop it first"
                )
            }
            return
        }
        let (index, duplicate) = buildIndex(label: label, key: key, isUnique: isUnique)
        if let duplicate {
            throw GraphStoreError(
                .uniqueConstraintViolation,
                "cannot create a unique index on \(quoted(label)).\(quoted(key)): nodes \(duplicate.first) and \(duplicate.second) both have the value \(duplicate.value)"
            )
        }
        propertyIndexes[label, default: [:]][key] = index
    }

    /// The index on (`label`, `key`) of the nodes present (non-mutating,
    /// so the walk shares the store rather than copying it).
    private func buildIndex(label: String, key: String, isUnique: Bool) -> (PropertyIndex, PropertyIndex.Duplicate?) {
        let nodes = (labelIndex[label] ?? IDSet()).lazy.compactMap { id in
            nodeRecords[id].flatMap { record in property(key, in: record.properties) }.map { (node: id, value: $0) }
        }
        return PropertyIndex.build(isUnique: isUnique, from: nodes) { propertyValue(of: $0, key) }
    }

    private mutating func countDown(type id: UInt32) {
        let type = typeName(id)
        guard let count = relationshipTypeCounts[type] else { return }
        relationshipTypeCounts[type] = count > 1 ? count - 1 : nil
    }
}
