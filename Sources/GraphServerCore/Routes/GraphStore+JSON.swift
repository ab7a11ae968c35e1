import GraphStore

extension Node {
    /// `{"id": N, "labels": [...], "properties": {...}}`, labels and keys sorted.
    var json: JSONValue {
        [
            "id": .integer(Int64(clamping: id.rawValue)),
            "labels": .array(labels.sorted().map { .string($0) }),
            "properties": .object(PropertyValue.jsonObject(properties)),
        ]
    }
}

extension Relationship {
    /// `{"id", "type", "from", "to", "properties"}`.
    var json: JSONValue {
        [
            "id": .integer(Int64(clamping: id.rawValue)),
            "type": .string(type),
            "from": .integer(Int64(clamping: source.rawValue)),
            "to": .integer(Int64(clamping: target.rawValue)),
            "properties": .object(PropertyValue.jsonObject(properties)),
        ]
    }
}

extension Optional where Wrapped: RawRepresentable, Wrapped.RawValue == UInt64 {
    /// A page cursor: the id, or `null` on the last page.
    var cursorJSON: JSONValue {
        switch self {
        case .some(let id): .integer(Int64(clamping: id.rawValue))
        case .none: .null
        }
    }
}
