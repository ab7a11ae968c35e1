/// Between records and values: records hold numbers from the store's
/// intern tables, the public API hands out ``Node`` and ``Relationship``
/// with names. Reading one costs a decode of its properties.
extension GraphStore {
    func node(_ id: UInt64, _ record: NodeRecord) -> Node {
        Node(id: NodeID(id), labels: labelSets[record.labelSet], properties: properties(record.properties))
    }

    func relationship(_ id: UInt64, _ record: RelationshipRecord) -> Relationship {
        Relationship(
            id: RelationshipID(id), type: typeName(record.type), source: record.source, target: record.target,
            properties: properties(record.properties))
    }

    func labels(_ record: NodeRecord) -> Set<String> { labelSets[record.labelSet] }

    func properties(_ blob: PropertyBlob) -> [String: PropertyValue] { blob.decoded(keys: propertyKeys) }

    /// The value of property `key` in `blob`, without decoding the others' names.
    func property(_ key: String, in blob: PropertyBlob) -> PropertyValue? {
        guard !blob.isEmpty, let id = propertyKeys.id(of: key) else { return nil }
        return blob.value(for: id)
    }

    /// Property `key` of node `id`, if both exist: how a property index
    /// checks the candidates its hash finds.
    func propertyValue(of id: UInt64, _ key: String) -> PropertyValue? {
        nodeRecords[id].flatMap { property(key, in: $0.properties) }
    }

    /// The name of relationship type number `id`; every stored number has one.
    func typeName(_ id: UInt32) -> String { relationshipTypes.name(id) ?? "" }
}
