/// Equality of stores: the graph, not how it is held.
extension GraphStore: Equatable {
    /// Same counters, index definitions, nodes (labels, properties,
    /// adjacency) and relationships. Records are compared byte for byte
    /// where both stores number names the same way, through the names
    /// otherwise. O(size of the graph), O(1) for shared versions.
    public static func == (left: GraphStore, right: GraphStore) -> Bool {
        if left.isIdentical(to: right) { return true }
        guard left.nextNodeID == right.nextNodeID, left.nextRelationshipID == right.nextRelationshipID,
            left.nodeCount == right.nodeCount, left.relationshipCount == right.relationshipCount,
            left.indexes == right.indexes
        else { return false }
        let sameKeys = left.propertyKeys.agrees(with: right.propertyKeys)
        let sameLabels = left.labelSets.agrees(with: right.labelSets)
        let sameTypes = left.relationshipTypes.agrees(with: right.relationshipTypes)
        func sameProperties(_ a: PropertyBlob, _ b: PropertyBlob) -> Bool {
            sameKeys ? a == b : left.properties(a) == right.properties(b)
        }
        let nodesEqual =
            left.nodeRecords.isIdentical(to: right.nodeRecords)
            || left.nodeRecords.elementsEqual(right.nodeRecords) { a, b in
            a.id == b.id
                && (sameLabels ? a.value.labelSet == b.value.labelSet : left.labels(a.value) == right.labels(b.value))
                && sameProperties(a.value.properties, b.value.properties)
                && a.value.outgoing == b.value.outgoing && a.value.incoming == b.value.incoming
        }
        guard nodesEqual else { return false }
        if left.relationshipRecords.isIdentical(to: right.relationshipRecords) { return true }
        return left.relationshipRecords.elementsEqual(right.relationshipRecords) { a, b in
            a.id == b.id && a.value.source == b.value.source && a.value.target == b.value.target
                && (sameTypes ? a.value.type == b.value.type : left.typeName(a.value.type) == right.typeName(b.value.type))
                && sameProperties(a.value.properties, b.value.properties)
        }
    }
}
