/// A relationship as the store keeps it: endpoints, the type's number in
/// the store's relationship type ``NameTable``, and encoded properties.
///
/// 32 bytes (40 with its id in a trie leaf) and no allocation without properties;
/// ``GraphStore`` materialises a ``Relationship`` on read.
struct RelationshipRecord: Sendable {
    var source: NodeID
    var target: NodeID
    var type: UInt32
    var properties: PropertyBlob
}
