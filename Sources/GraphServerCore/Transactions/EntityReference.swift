/// How an op names a node or relationship: by id, or by the `ref` an
/// earlier op of the same transaction gave the entity it created.
enum EntityReference: Sendable, Equatable {
    case id(UInt64)
    case ref(String)
}
