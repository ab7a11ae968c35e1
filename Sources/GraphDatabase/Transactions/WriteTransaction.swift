import GraphStore

/// The inside of a write transaction: a private copy of the graph that its
/// mutations change, and the events they emit.
///
/// Nothing is visible to readers or written to the log until the
/// transaction commits; an error thrown out of it (or a rollback) discards
/// both the copy and the events.
public struct WriteTransaction: Sendable {
    /// The graph as this transaction sees it, its own changes included.
    public private(set) var store: GraphStore
    /// The events its mutations emitted so far, in order.
    public private(set) var events: [MutationEvent] = []
    /// The log's bytes for the first of `events`: a node creation encodes
    /// its event as it builds the node's record from it, and the commit
    /// encodes only the rest (see ``GraphStore/createNode(labels:properties:events:encoded:)``).
    private(set) var encoded: EncodedBatch

    /// `buffers` are empty; the transaction may reuse their memory.
    init(store: GraphStore, buffers: TransactionBuffers = TransactionBuffers()) {
        self.store = store
        self.events = buffers.events
        self.encoded = buffers.encoded
    }

    /// Hands over the events and their encoding, leaving none: the
    /// database reuses their memory for the next transaction.
    mutating func takeBuffers() -> TransactionBuffers {
        var taken = TransactionBuffers()
        swap(&taken.events, &events)
        swap(&taken.encoded, &encoded)
        return taken
    }

    private mutating func run<R>(_ body: (inout GraphStore, inout [MutationEvent]) throws(GraphStoreError) -> R) throws -> R {
        do {
            return try body(&store, &events)
        } catch {
            throw GraphDatabaseError.graph(error)
        }
    }

    @discardableResult
    public mutating func createNode(labels: Set<String> = [], properties: [String: PropertyValue] = [:]) throws -> NodeID {
        encodePendingEvents()
        do {
            return try store.createNode(labels: labels, properties: properties, events: &events, encoded: &encoded)
        } catch {
            throw GraphDatabaseError.graph(error)
        }
    }

    /// Encodes the events other mutations left for the commit, so that the
    /// next node creation can add its own. One that cannot be encoded (the
    /// store refuses what would make one) stays for the commit to report.
    private mutating func encodePendingEvents() {
        while encoded.count < events.count {
            do { try encoded.append(events[encoded.count]) } catch { return }
        }
    }

    @discardableResult
    public mutating func createRelationship(
        type: String, from source: NodeID, to target: NodeID, properties: [String: PropertyValue] = [:]
    ) throws -> RelationshipID {
        try run { store, events throws(GraphStoreError) in
            try store.createRelationship(type: type, from: source, to: target, properties: properties, events: &events)
        }
    }

    public mutating func setNodeProperty(_ node: NodeID, key: String, value: PropertyValue) throws {
        try run { store, events throws(GraphStoreError) in _ = try store.setNodeProperty(node, key: key, value: value, events: &events) }
    }

    public mutating func removeNodeProperty(_ node: NodeID, key: String) throws {
        try run { store, events throws(GraphStoreError) in _ = try store.removeNodeProperty(node, key: key, events: &events) }
    }

    public mutating func addNodeLabel(_ node: NodeID, label: String) throws {
        try run { store, events throws(GraphStoreError) in _ = try store.addNodeLabel(node, label: label, events: &events) }
    }

    public mutating func removeNodeLabel(_ node: NodeID, label: String) throws {
        try run { store, events throws(GraphStoreError) in _ = try store.removeNodeLabel(node, label: label, events: &events) }
    }

    public mutating func setRelationshipProperty(_ relationship: RelationshipID, key: String, value: PropertyValue) throws {
        try run { store, events throws(GraphStoreError) in
            _ = try store.setRelationshipProperty(relationship, key: key, value: value, events: &events)
        }
    }

    public mutating func removeRelationshipProperty(_ relationship: RelationshipID, key: String) throws {
        try run { store, events throws(GraphStoreError) in
            _ = try store.removeRelationshipProperty(relationship, key: key, events: &events)
        }
    }

    public mutating func deleteRelationship(_ relationship: RelationshipID) throws {
        try run { store, events throws(GraphStoreError) in _ = try store.deleteRelationship(relationship, events: &events) }
    }

    /// Deletes a node that has no relationships (a `conflict` error otherwise).
    public mutating func deleteNode(_ node: NodeID) throws {
        try run { store, events throws(GraphStoreError) in _ = try store.deleteNode(node, events: &events) }
    }

    /// Deletes a node and every relationship it has.
    public mutating func detachDeleteNode(_ node: NodeID) throws {
        try run { store, events throws(GraphStoreError) in _ = try store.detachDeleteNode(node, events: &events) }
    }

    /// Removes every node and relationship (ids are not reused afterwards).
    /// Index definitions stay.
    public mutating func clear() {
        store.clear(events: &events)
    }

    /// Creates a property index on (`label`, `key`), a unique constraint
    /// when `unique`; returns false when it already exists. Logged, and
    /// rebuilt on recovery. A `conflict` when `unique` and two nodes already
    /// share a value, or when the index exists with the other uniqueness.
    @discardableResult
    public mutating func createIndex(label: String, key: String, unique: Bool = false) throws -> Bool {
        try run { store, events throws(GraphStoreError) in
            try store.createIndex(label: label, key: key, unique: unique, events: &events)
        }
    }

    /// Drops the property index on (`label`, `key`); returns false when there is none.
    @discardableResult
    public mutating func dropIndex(label: String, key: String) -> Bool {
        store.dropIndex(label: label, key: key, events: &events)
    }

    /// Finds the node with `label` whose `key` is `value` through the
    /// unique index on (`label`, `key`), or creates it (with `labels`,
    /// `properties`, the label and the key); atomic, since writers run one
    /// at a time. A `conflict` when there is no such unique index.
    @discardableResult
    public mutating func mergeNode(
        label: String, key: String, value: PropertyValue, labels: Set<String> = [],
        properties: [String: PropertyValue] = [:]
    ) throws -> (id: NodeID, created: Bool) {
        try run { store, events throws(GraphStoreError) in
            try store.mergeNode(
                label: label, key: key, value: value, labels: labels, properties: properties, events: &events)
        }
    }

    /// Logs a note for the layer above with this transaction: it commits
    /// with it or not at all, changes nothing in the graph, and comes back
    /// in ``GraphDatabase/recoveredAnnotations`` after a restart (until a
    /// checkpoint's snapshot covers the transaction).
    public mutating func annotate(name: String, text: String) {
        events.append(.annotation(name: name, text: text))
    }
}

/// A write transaction's events and their log encoding: memory handed
/// from one transaction to the next, so that a transaction of a few
/// events allocates neither.
struct TransactionBuffers: Sendable {
    var events: [MutationEvent] = []
    var encoded = EncodedBatch()

    /// The most events whose memory is kept for the next transaction.
    private static var keptEventCapacity: Int { 1024 }

    /// Empties both, keeping their memory unless it is large.
    mutating func removeAll() {
        if events.capacity <= Self.keptEventCapacity {
            events.removeAll(keepingCapacity: true)
        } else {
            events = []
        }
        encoded.removeAll()
    }
}

/// What a committed write transaction returns.
public struct WriteResult<Value: Sendable>: Sendable {
    /// What the transaction's body returned.
    public var value: Value
    /// The commit record's LSN; `.none` when nothing changed or there is no log.
    public var lsn: LSN
    /// Whether an fsync covered the commit before the call returned.
    public var isDurable: Bool
    /// How many events the transaction logged.
    public var eventCount: Int

    @usableFromInline
    init(value: Value, lsn: LSN, isDurable: Bool, eventCount: Int) {
        self.value = value
        self.lsn = lsn
        self.isDurable = isDurable
        self.eventCount = eventCount
    }
}

import WriteAheadLog
