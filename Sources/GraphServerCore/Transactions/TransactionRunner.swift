import GraphDatabase
import GraphStore

/// Runs a checked ``TransactionRequest`` as one database transaction.
enum TransactionRunner {
    /// Applies every op in order inside `transaction`. The first op the
    /// graph refuses aborts the whole transaction with an error naming its
    /// index; the database then discards everything, in memory and on disk.
    static func apply(_ operations: [Operation], to transaction: inout WriteTransaction) throws -> [String: UInt64] {
        var nodes: [String: NodeID] = [:]
        var relationships: [String: RelationshipID] = [:]
        for (index, operation) in operations.enumerated() {
            do {
                try apply(operation, to: &transaction, nodes: &nodes, relationships: &relationships)
            } catch let error as AssertionFailure {
                throw GraphServerError(.assertionFailed, "ops[\(index)] (\(operation.name)): \(error.message)")
            } catch let error as GraphDatabaseError {
                throw GraphServerError(error, context: "ops[\(index)] (\(operation.name))")
            }
        }
        var created: [String: UInt64] = [:]
        for (ref, id) in nodes { created[ref] = id.rawValue }
        for (ref, id) in relationships { created[ref] = id.rawValue }
        return created
    }

    private static func apply(
        _ operation: Operation, to tx: inout WriteTransaction, nodes: inout [String: NodeID],
        relationships: inout [String: RelationshipID]
    ) throws {
        // Refs were checked against earlier ops when the request was read,
        // so a lookup here cannot miss; the fallback id only keeps the
        // code free of force unwraps.
        func node(_ reference: EntityReference) -> NodeID {
            switch reference {
            case .id(let id): NodeID(id)
            case .ref(let ref): nodes[ref] ?? NodeID(UInt64.max)
            }
        }
        func relationship(_ reference: EntityReference) -> RelationshipID {
            switch reference {
            case .id(let id): RelationshipID(id)
            case .ref(let ref): relationships[ref] ?? RelationshipID(UInt64.max)
            }
        }
        switch operation {
        case .createNode(let ref, let labels, let properties):
            let id = try tx.createNode(labels: Set(labels), properties: properties)
            if let ref { nodes[ref] = id }
        case .createRelationship(let ref, let type, let from, let to, let properties):
            let id = try tx.createRelationship(type: type, from: node(from), to: node(to), properties: properties)
            if let ref { relationships[ref] = id }
        case .setNodeProperty(let target, let key, let value):
            try tx.setNodeProperty(node(target), key: key, value: value)
        case .removeNodeProperty(let target, let key):
            try tx.removeNodeProperty(node(target), key: key)
        case .addLabel(let target, let label):
            try tx.addNodeLabel(node(target), label: label)
        case .removeLabel(let target, let label):
            try tx.removeNodeLabel(node(target), label: label)
        case .setRelationshipProperty(let target, let key, let value):
            try tx.setRelationshipProperty(relationship(target), key: key, value: value)
        case .removeRelationshipProperty(let target, let key):
            try tx.removeRelationshipProperty(relationship(target), key: key)
        case .deleteRelationship(let target):
            try tx.deleteRelationship(relationship(target))
        case .deleteNode(let target):
            try tx.deleteNode(node(target))
        case .detachDeleteNode(let target):
            try tx.detachDeleteNode(node(target))
        case .clear:
            tx.clear()
        case .mergeNode(let ref, let label, let key, let value, let labels, let properties):
            let merged = try tx.mergeNode(
                label: label, key: key, value: value, labels: Set(labels), properties: properties)
            if let ref { nodes[ref] = merged.id }
        case .createIndex(let label, let key, let unique):
            try tx.createIndex(label: label, key: key, unique: unique)
        case .dropIndex(let label, let key):
            tx.dropIndex(label: label, key: key)
        case .assertProperty(let owner, let key, let expected):
            // Read in the transaction's own copy, under the writer lock: no
            // other transaction can commit between this check and the
            // writes after it, which is what makes read-modify-write safe.
            let actual: PropertyValue?
            let entity: String
            switch owner {
            case .node(let reference):
                let id = node(reference)
                entity = "node \(id.rawValue)"
                guard let found = tx.store.node(id) else { throw AssertionFailure(message: "\(entity) does not exist") }
                actual = found.properties[key]
            case .relationship(let reference):
                let id = relationship(reference)
                entity = "relationship \(id.rawValue)"
                guard let found = tx.store.relationship(id) else { throw AssertionFailure(message: "\(entity) does not exist") }
                actual = found.properties[key]
            }
            guard actual != expected else { return }
            func describe(_ value: PropertyValue?) -> String { value.map { JSONWriter.string($0.json) } ?? "absent" }
            throw AssertionFailure(
                message: "\(entity) property \"\(key)\" is \(describe(actual)), not \(describe(expected)); nothing was applied")
        }
    }

    /// An `assert` op that does not hold.
    struct AssertionFailure: Error {
        var message: String
    }
}
