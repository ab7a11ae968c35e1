/// A complete, deterministic text rendering of the graph.
extension GraphStore {
    /// Every node and relationship, one per line in id order, labels and
    /// property keys sorted, after a line with the id counters.
    ///
    /// Two stores are equal exactly when their dumps are, so tests print the
    /// dumps to show where a recovered graph differs from the committed one.
    /// O(size of the graph).
    ///
    /// ```
    /// counters nextNode=2 nextRelationship=1
    /// node 0 ["Person"] {"name": "Ada"}
    /// node 1 [] {}
    /// relationship 0 (0)-["KNOWS"]->(1) {"since": 1843}
    /// index "Person"."name" unique
    /// ```
    public func dump() -> String {
        var text = "counters nextNode=\(nextNodeID) nextRelationship=\(nextRelationshipID)\n"
        for entry in nodeRecords {
            let node = node(entry.id, entry.value)
            text += "node \(node.id) ["
            for (index, label) in node.labels.sorted().enumerated() {
                if index > 0 { text += ", " }
                writeQuoted(label, to: &text)
            }
            text += "] "
            writeProperties(node.properties, to: &text)
            text += "\n"
        }
        for entry in relationshipRecords {
            let relationship = relationship(entry.id, entry.value)
            text += "relationship \(relationship.id) (\(relationship.source))-["
            writeQuoted(relationship.type, to: &text)
            text += "]->(\(relationship.target)) "
            writeProperties(relationship.properties, to: &text)
            text += "\n"
        }
        for index in indexes {
            text += "index "
            writeQuoted(index.label, to: &text)
            text += "."
            writeQuoted(index.key, to: &text)
            text += index.isUnique ? " unique\n" : "\n"
        }
        return text
    }
}
