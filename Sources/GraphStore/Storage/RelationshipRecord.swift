/// A relationship as the store keeps it: endpoints, the type's number in
/// the store's relationship type ``NameTable``, and encoded properties.
///
/// 32 bytes (40 with its id in a trie leaf) and no allocation of its own;
/// ``GraphStore`` materialises a ``Relationship`` on read. The 12-byte
/// blob before the type, so that the type fills the rest of its 16.
struct RelationshipRecord: Sendable {
    var source: NodeID
    var target: NodeID
    var properties: PropertyBlob
    var type: UInt32

    init(source: NodeID, target: NodeID, type: UInt32, properties: PropertyBlob) {
        self.source = source
        self.target = target
        self.properties = properties
        self.type = type
    }
}
