import HashTreeCollections

/// An in-memory property graph: nodes with labels and properties, typed
/// directed relationships between them, a label index and adjacency lists.
///
/// `GraphStore` is a value, and that is what makes transactions cheap for
/// the layer above: keep the old value, mutate, and on failure put the old
/// value back. Its storage is persistent (radix tries keyed by id, hash
/// tries for the property indexes, see `IDMap`, `IDSet`, `PropertyIndex`):
/// a copy shares everything, and a write to it copies only the paths to
/// what it touches, so a transaction that touches k entities costs
/// O(k log n), whatever the size of the graph or the degree of a node.
///
/// Every mutation method appends the ``MutationEvent`` that describes its
/// change to an `events` list the caller owns; ``apply(_:)`` performs one
/// such event again, without emitting, during recovery. A mutation that
/// throws has changed nothing and emitted nothing; one that would change
/// nothing (setting a property to the value it has, adding a label the node
/// already has) emits nothing.
///
/// Ids: nodes and relationships each have a counter starting at `0`; a
/// creation takes the counter's value and moves it past. Ids are never
/// reused, not even after ``clear(events:)``, so a stale id held by a client
/// can only miss, never find a different entity. Replaying a creation event
/// moves the counter past the event's id, so replay reproduces the ids.
///
/// Two stores are equal when they hold the same nodes, relationships, id
/// counters and index definitions (the indexes' contents follow from
/// those), which is how tests prove that recovery rebuilt the committed
/// graph. The intern tables (label sets, property keys, relationship
/// types) do not count: they are how the store holds the graph, not what
/// the graph is.
///
/// Not thread-safe by itself, like any value: share it through an actor or
/// a mutex, or hand out copies (which is cheap) to readers.
public struct GraphStore: Sendable {
    /// Everything the store holds, in one box shared between copies.
    ///
    /// Why a box: the store is copied several times per transaction (the
    /// writer's copy, the logged and the visible version, the one retired),
    /// and a copy of its dozen and a half references inline cost a retain
    /// each, and a release each when dropped. Boxed, a copy is one retain,
    /// and a transaction copies the box once, at its first write.
    final class Storage {
        // Unchecked: the box is written only through a store holding the
        // one reference to it (see `uniqueStorage()`), never while another
        // access to the same field is under way.
        @exclusivity(unchecked) var nodeRecords: IDMap<NodeRecord>
        @exclusivity(unchecked) var relationshipRecords: IDMap<RelationshipRecord>
        @exclusivity(unchecked) var labelIndex: LabelIndex
        @exclusivity(unchecked) var relationshipTypeCounts: TreeDictionary<String, Int>
        @exclusivity(unchecked) var propertyIndexes: [String: [String: PropertyIndex]]
        /// The label set interned last, with its number: nodes come in runs
        /// of one set, and this answers them without looking the set up or
        /// touching the names box.
        @exclusivity(unchecked) var recentLabels: Set<String>
        @exclusivity(unchecked) var recentLabelSetID: UInt32
        @exclusivity(unchecked) var names: Names
        @exclusivity(unchecked) var nextNodeID: NodeID
        @exclusivity(unchecked) var nextRelationshipID: RelationshipID
        /// Where created records' property bytes go, shared by copies.
        @exclusivity(unchecked) var blobArena: BlobArena

        init() {
            nodeRecords = IDMap()
            relationshipRecords = IDMap()
            labelIndex = LabelIndex()
            relationshipTypeCounts = [:]
            propertyIndexes = [:]
            recentLabels = []
            recentLabelSetID = 0
            names = Names()
            nextNodeID = 0
            nextRelationshipID = 0
            blobArena = BlobArena()
        }

        /// A box holding the same fields as `other`. Every field is set
        /// once, here: with default values declared on the fields, a copy
        /// built each empty field first and then destroyed it, which cost
        /// more than the copy itself (a transaction copies the box once).
        private init(copying other: Storage) {
            nodeRecords = other.nodeRecords
            relationshipRecords = other.relationshipRecords
            labelIndex = other.labelIndex
            relationshipTypeCounts = other.relationshipTypeCounts
            propertyIndexes = other.propertyIndexes
            recentLabels = other.recentLabels
            recentLabelSetID = other.recentLabelSetID
            names = other.names
            nextNodeID = other.nextNodeID
            nextRelationshipID = other.nextRelationshipID
            blobArena = other.blobArena
        }

        func copy() -> Storage { Storage(copying: self) }
    }

    /// The intern tables (property keys, relationship types, label sets),
    /// in a box of their own inside the store's: they change only when a
    /// transaction meets a name or a label set for the first time, so
    /// nearly every transaction shares them with the version it builds on,
    /// and copying the store's box retains (and releasing it releases) one
    /// reference for the three tables instead of the eleven they hold.
    final class Names {
        @exclusivity(unchecked) var propertyKeys: NameTable
        @exclusivity(unchecked) var relationshipTypes: NameTable
        @exclusivity(unchecked) var labelSets: LabelSets

        init() {
            propertyKeys = NameTable()
            relationshipTypes = NameTable()
            labelSets = LabelSets()
        }

        private init(copying other: Names) {
            propertyKeys = other.propertyKeys
            relationshipTypes = other.relationshipTypes
            labelSets = other.labelSets
        }

        func copy() -> Names { Names(copying: self) }
    }

    private var storage = Storage()

    /// The box, copied first unless this store holds the only reference.
    @inline(__always)
    private mutating func uniqueStorage() -> Storage {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        return storage
    }

    /// The names box, copied first unless this store's box holds the
    /// only reference to it.
    @inline(__always)
    private mutating func uniqueNames() -> Names {
        let storage = uniqueStorage()
        if !isKnownUniquelyReferenced(&storage.names) { storage.names = storage.names.copy() }
        return storage.names
    }

    /// Whether both stores are the same version (share their box). O(1).
    func isIdentical(to other: GraphStore) -> Bool { storage === other.storage }

    /// Nodes with their adjacency, by id.
    var nodeRecords: IDMap<NodeRecord> {
        _read { yield storage.nodeRecords }
        _modify { yield &uniqueStorage().nodeRecords }
    }
    /// Relationships by id.
    var relationshipRecords: IDMap<RelationshipRecord> {
        _read { yield storage.relationshipRecords }
        _modify { yield &uniqueStorage().relationshipRecords }
    }
    /// The ids of the nodes carrying each label (see ``LabelIndex``).
    var labelIndex: LabelIndex {
        _read { yield storage.labelIndex }
        _modify { yield &uniqueStorage().labelIndex }
    }
    /// How many relationships have each type; a type with none has no entry.
    var relationshipTypeCounts: TreeDictionary<String, Int> {
        _read { yield storage.relationshipTypeCounts }
        _modify { yield &uniqueStorage().relationshipTypeCounts }
    }
    /// The property indexes, by label and then by key; a label without
    /// indexes has no entry.
    var propertyIndexes: [String: [String: PropertyIndex]] {
        _read { yield storage.propertyIndexes }
        _modify { yield &uniqueStorage().propertyIndexes }
    }
    /// Each distinct label set once, numbered; nodes hold the number.
    ///
    /// Written only to number a new set (which copies the names box): go
    /// through ``internLabelSet(_:)``.
    var labelSets: LabelSets {
        _read { yield storage.names.labelSets }
        _modify { yield &uniqueNames().labelSets }
    }
    /// Property keys by number, for the records' encoded properties.
    ///
    /// Written only to number a new key (which copies the names box): look
    /// a key up first (``internPropertyKey(_:)``).
    var propertyKeys: NameTable {
        _read { yield storage.names.propertyKeys }
        _modify { yield &uniqueNames().propertyKeys }
    }
    /// Relationship types by number.
    var relationshipTypes: NameTable {
        _read { yield storage.names.relationshipTypes }
        _modify { yield &uniqueNames().relationshipTypes }
    }

    /// Where created records' property bytes go (see ``BlobArena``).
    var blobArena: BlobArena {
        _read { yield storage.blobArena }
        _modify { yield &uniqueStorage().blobArena }
    }

    /// The names box as it is, for lookups that must not copy a table
    /// (reading a table through ``propertyKeys`` into a call copies it).
    var names: Names { storage.names }

    /// The number of property key `name`, numbering it if it has none.
    mutating func internPropertyKey(_ name: String) -> UInt32 {
        propertyKeys.id(of: name) ?? propertyKeys.intern(name)
    }

    /// The number of label set `labels`, numbering it if it has none. The
    /// set interned last answers first; the names box is written only for
    /// a set never seen before.
    mutating func internLabelSet(_ labels: Set<String>) -> UInt32 {
        if storage.recentLabels == labels { return storage.recentLabelSetID }
        let id = labelSets.id(of: labels) ?? labelSets.intern(labels)
        let storage = uniqueStorage()
        storage.recentLabels = labels
        storage.recentLabelSetID = id
        return id
    }

    /// The number of relationship type `name`, numbering it if it has none.
    mutating func internRelationshipType(_ name: String) -> UInt32 {
        relationshipTypes.id(of: name) ?? relationshipTypes.intern(name)
    }

    /// `properties` encoded for a created record, in the store's block,
    /// numbering keys it meets for the first time (only then is the names
    /// box written).
    mutating func propertyBlob(_ properties: [String: PropertyValue]) -> PropertyBlob {
        if let blob = PropertyBlob(properties, knownKeys: names.propertyKeys, in: &blobArena) { return blob }
        PropertyBlob.intern(properties.keys, in: &propertyKeys)
        // Every key has a number now.
        return PropertyBlob(properties, knownKeys: names.propertyKeys, in: &blobArena) ?? .empty
    }

    /// The id the next created node gets.
    public internal(set) var nextNodeID: NodeID {
        get { storage.nextNodeID }
        set { uniqueStorage().nextNodeID = newValue }
    }
    /// The id the next created relationship gets.
    public internal(set) var nextRelationshipID: RelationshipID {
        get { storage.nextRelationshipID }
        set { uniqueStorage().nextRelationshipID = newValue }
    }

    /// An empty graph whose first node and first relationship get id `0`.
    public init() {}

    /// The number of nodes. O(1).
    public var nodeCount: Int { nodeRecords.count }
    /// The number of relationships. O(1).
    public var relationshipCount: Int { relationshipRecords.count }
    /// Whether the graph has no nodes (and so no relationships).
    public var isEmpty: Bool { nodeRecords.isEmpty }
}

/// `@unchecked`: the box is written only through a ``GraphStore`` holding
/// the one reference to it (`isKnownUniquelyReferenced`, else it is copied
/// first), so a box shared by two stores, or reachable from another
/// thread, is never written; its fields are Sendable.
extension GraphStore.Storage: @unchecked Sendable {}

/// `@unchecked` for the same reason as the store's box: the names box is
/// written only through `uniqueNames()`, which first makes the store's box
/// unique and then copies the names box unless that box holds the only
/// reference to it; a names box shared by two versions is only read. Its
/// fields are Sendable.
extension GraphStore.Names: @unchecked Sendable {}
