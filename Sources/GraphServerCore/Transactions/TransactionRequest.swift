import GraphStore

/// The body of `POST /tx`, checked before anything runs: every op is
/// well-formed, and every `"$ref"` names something an earlier op of the
/// same transaction creates, of the right kind. What only the graph can
/// decide (does node 7 exist?) is left to the transaction.
struct TransactionRequest: Sendable, Equatable {
    var operations: [Operation]

    init(operations: [Operation]) { self.operations = operations }

    /// The ops an HTTP client writes, as JSON.
    init(json: JSONValue) throws(GraphServerError) {
        guard case .object(let body) = json else {
            throw GraphServerError(.badRequest, "the body must be an object {\"ops\": [...]}, not \(json.kind)")
        }
        for key in body.keys where key != "ops" {
            throw GraphServerError(.badRequest, "unknown field \"\(key)\" in the body; expected only \"ops\"")
        }
        guard let opsValue = body["ops"] else {
            throw GraphServerError(.badRequest, "the body has no \"ops\" field")
        }
        guard case .array(let items) = opsValue else {
            throw GraphServerError(.badRequest, "\"ops\" must be an array, not \(opsValue.kind)")
        }
        var scope = ReferenceScope()
        var operations: [Operation] = []
        operations.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            var reader = try OperationReader(item, index: index)
            operations.append(try reader.read(scope: &scope))
        }
        self.operations = operations
    }
}

/// The refs defined so far in a transaction, by kind.
struct ReferenceScope {
    var nodes: Set<String> = []
    var relationships: Set<String> = []
}

/// Reads one op object, remembering which fields it used so that an
/// unknown (misspelt) field is refused instead of ignored.
struct OperationReader {
    let object: JSONObject
    let index: Int
    var name = ""
    var used: Set<String> = ["op"]

    init(_ json: JSONValue, index: Int) throws(GraphServerError) {
        self.index = index
        guard case .object(let object) = json else {
            throw GraphServerError(.badRequest, "ops[\(index)]: an op must be an object, not \(json.kind)")
        }
        self.object = object
    }

    func failure(_ field: String?, _ message: String) -> GraphServerError {
        let location = field.map { "ops[\(index)].\($0)" } ?? "ops[\(index)]"
        let op = name.isEmpty ? "" : " (\(name))"
        return GraphServerError(.badRequest, "\(location)\(op): \(message)")
    }

    mutating func read(scope: inout ReferenceScope) throws(GraphServerError) -> Operation {
        guard let opValue = object["op"] else { throw failure(nil, "missing \"op\"") }
        guard case .string(let op) = opValue else { throw failure("op", "must be a string, not \(opValue.kind)") }
        name = op
        let operation: Operation
        switch op {
        case "createNode":
            let ref = try optionalRef(scope: scope)
            operation = .createNode(ref: ref, labels: try stringList("labels"), properties: try properties())
            if let ref { scope.nodes.insert(ref) }
        case "createRelationship":
            let ref = try optionalRef(scope: scope)
            operation = .createRelationship(
                ref: ref, type: try string("type"), from: try node("from", scope), to: try node("to", scope),
                properties: try properties())
            if let ref { scope.relationships.insert(ref) }
        case "setNodeProperty":
            operation = .setNodeProperty(node: try node("node", scope), key: try string("key"), value: try value("value"))
        case "removeNodeProperty":
            operation = .removeNodeProperty(node: try node("node", scope), key: try string("key"))
        case "addLabel":
            operation = .addLabel(node: try node("node", scope), label: try string("label"))
        case "removeLabel":
            operation = .removeLabel(node: try node("node", scope), label: try string("label"))
        case "setRelationshipProperty":
            operation = .setRelationshipProperty(
                relationship: try relationship("relationship", scope), key: try string("key"), value: try value("value"))
        case "removeRelationshipProperty":
            operation = .removeRelationshipProperty(relationship: try relationship("relationship", scope), key: try string("key"))
        case "deleteRelationship":
            operation = .deleteRelationship(relationship: try relationship("relationship", scope))
        case "deleteNode":
            operation = .deleteNode(node: try node("node", scope))
        case "detachDeleteNode":
            operation = .detachDeleteNode(node: try node("node", scope))
        case "clear":
            operation = .clear
        case "mergeNode":
            let ref = try optionalRef(scope: scope)
            operation = .mergeNode(
                ref: ref, label: try string("label"), key: try string("key"), value: try value("value"),
                labels: try stringList("labels"), properties: try properties())
            if let ref { scope.nodes.insert(ref) }
        case "createIndex":
            operation = .createIndex(label: try string("label"), key: try string("key"), unique: try bool("unique"))
        case "dropIndex":
            operation = .dropIndex(label: try string("label"), key: try string("key"))
        case "assert":
            operation = try assertion(scope)
        default:
            name = ""
            throw failure(
                "op",
                "unknown op \"\(op)\"; expected one of createNode, createRelationship, setNodeProperty, removeNodeProperty, addLabel, removeLabel, setRelationshipProperty, removeRelationshipProperty, deleteRelationship, deleteNode, detachDeleteNode, clear, mergeNode, createIndex, dropIndex, assert"
            )
        }
        for key in object.keys where !used.contains(key) {
            throw failure(key, "unknown field for this op")
        }
        return operation
    }

    /// `{"op": "assert", "node" | "relationship": ..., "key": k, "equals": v | "absent": true}`.
    private mutating func assertion(_ scope: ReferenceScope) throws(GraphServerError) -> Operation {
        let owner: PropertyOwner
        switch (object["node"], object["relationship"]) {
        case (_?, nil): owner = .node(try node("node", scope))
        case (nil, _?): owner = .relationship(try relationship("relationship", scope))
        default: throw failure(nil, "name exactly one of \"node\" and \"relationship\"")
        }
        let key = try string("key")
        used.insert("equals")
        used.insert("absent")
        switch (object["equals"], object["absent"]) {
        case (let equals?, nil):
            return .assertProperty(target: owner, key: key, expected: try Self.property(equals, at: "ops[\(index)].equals"))
        case (nil, .bool(true)?):
            return .assertProperty(target: owner, key: key, expected: nil)
        case (nil, let absent?):
            throw failure("absent", "must be true (the property must not exist), not \(absent == .bool(false) ? "false" : absent.kind)")
        default:
            throw failure(nil, "give exactly one of \"equals\" (the value the property must have) and \"absent\": true")
        }
    }

    private mutating func field(_ key: String) throws(GraphServerError) -> JSONValue {
        used.insert(key)
        guard let value = object[key] else { throw failure(key, "missing") }
        return value
    }

    private mutating func string(_ key: String) throws(GraphServerError) -> String {
        let value = try field(key)
        guard case .string(let text) = value else { throw failure(key, "must be a string, not \(value.kind)") }
        guard !text.isEmpty else { throw failure(key, "must not be empty") }
        return text
    }

    /// An optional boolean field, false when absent.
    private mutating func bool(_ key: String) throws(GraphServerError) -> Bool {
        used.insert(key)
        guard let value = object[key] else { return false }
        guard case .bool(let flag) = value else { throw failure(key, "must be true or false, not \(value.kind)") }
        return flag
    }

    private mutating func value(_ key: String) throws(GraphServerError) -> PropertyValue {
        let json = try field(key)
        return try Self.property(json, at: "ops[\(index)].\(key)")
    }

    private mutating func stringList(_ key: String) throws(GraphServerError) -> [String] {
        used.insert(key)
        guard let value = object[key] else { return [] }
        guard case .array(let items) = value else { throw failure(key, "must be an array of strings, not \(value.kind)") }
        var strings: [String] = []
        for (position, item) in items.enumerated() {
            guard case .string(let text) = item, !text.isEmpty else {
                throw failure("\(key)[\(position)]", "must be a non-empty string")
            }
            strings.append(text)
        }
        return strings
    }

    private mutating func properties() throws(GraphServerError) -> [String: PropertyValue] {
        used.insert("properties")
        guard let value = object["properties"] else { return [:] }
        guard case .object(let members) = value else { throw failure("properties", "must be an object, not \(value.kind)") }
        do {
            return try PropertyValue.map(members, at: "ops[\(index)].properties")
        } catch {
            throw GraphServerError(error.code, Self.withOpName(error.message, name))
        }
    }

    private static func property(_ json: JSONValue, at path: String) throws(GraphServerError) -> PropertyValue {
        try PropertyValue(json: json, at: path)
    }

    private static func withOpName(_ message: String, _ name: String) -> String {
        guard let colon = message.firstIndex(of: ":") else { return message }
        return message[..<colon] + " (\(name))" + message[colon...]
    }

    private mutating func optionalRef(scope: ReferenceScope) throws(GraphServerError) -> String? {
        used.insert("ref")
        guard let value = object["ref"] else { return nil }
        guard case .string(let ref) = value, !ref.isEmpty else { throw failure("ref", "must be a non-empty string") }
        guard !ref.hasPrefix("$") else {
            throw failure("ref", "name the ref without \"$\" (\"ref\": \"a\"), and use it with \"$\" (\"$a\")")
        }
        guard !scope.nodes.contains(ref), !scope.relationships.contains(ref) else {
            throw failure("ref", "\"\(ref)\" is already defined earlier in this transaction")
        }
        return ref
    }

    private mutating func node(_ key: String, _ scope: ReferenceScope) throws(GraphServerError) -> EntityReference {
        try reference(key, kind: "node", defined: scope.nodes, other: scope.relationships)
    }

    private mutating func relationship(_ key: String, _ scope: ReferenceScope) throws(GraphServerError) -> EntityReference {
        try reference(key, kind: "relationship", defined: scope.relationships, other: scope.nodes)
    }

    private mutating func reference(
        _ key: String, kind: String, defined: Set<String>, other: Set<String>
    ) throws(GraphServerError) -> EntityReference {
        let value = try field(key)
        switch value {
        case .integer(let id) where id >= 0:
            return .id(UInt64(id))
        case .string(let text) where text.hasPrefix("$"):
            let ref = String(text.dropFirst())
            if defined.contains(ref) { return .ref(ref) }
            if other.contains(ref) { throw failure(key, "\"\(text)\" is not a \(kind): it names a \(kind == "node" ? "relationship" : "node")") }
            throw failure(key, "\"\(text)\" is not created by an earlier op of this transaction")
        default:
            throw failure(key, "must be a \(kind) id (a non-negative integer) or \"$ref\", not \(value.kind)")
        }
    }
}
