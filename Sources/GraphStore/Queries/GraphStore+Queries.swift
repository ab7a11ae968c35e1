/// The read API: lookups by id, paged scans in id order, adjacency, stats.
///
/// A lookup by label, key and value goes through the property index on
/// (label, key) when there is one (see `GraphStore+Indexes.swift`), and
/// costs O(log n + page). Without one, a property filter scans the
/// candidates (the label's nodes, or all nodes) in id order until the page
/// is full, so its cost grows with how many candidates it has to look at;
/// `scanLimit` bounds that.
extension GraphStore {
    /// The node with this id, if it exists. O(log n).
    public func node(_ id: NodeID) -> Node? {
        nodeRecords[id.rawValue].map { node(id.rawValue, $0) }
    }

    /// The relationship with this id, if it exists. O(log n).
    public func relationship(_ id: RelationshipID) -> Relationship? {
        relationshipRecords[id.rawValue].map { relationship(id.rawValue, $0) }
    }

    /// Nodes with ids above `after`, ascending, at most `limit` of them;
    /// only those carrying `label` when one is given.
    ///
    /// O(log n + limit). A non-positive `limit` gives an empty page.
    public func nodes(label: String? = nil, limit: Int, after: NodeID? = nil) -> Page<Node> {
        collectPage(limit: limit, from: candidateNodes(label: label, after: after))
    }

    /// Nodes with ids above `after`, ascending, at most `limit` of them, that
    /// have property `propertyKey` (equal to `value`, when one is given;
    /// equality as ``PropertyValue`` defines it) and carry `label`, when one
    /// is given.
    ///
    /// With a label, a value and an index on (label, key): O(log n + limit)
    /// through the index. Otherwise a scan, O(log n + c), c being the
    /// candidates scanned (the label's nodes, or all nodes, above `after`)
    /// until the page is full or they run out; with `scanLimit`, at most
    /// that many candidates are looked at, and a page that stopped there has
    /// the last id looked at as its ``Page/nextCursor`` (so it may hold fewer
    /// than `limit` nodes, even none, and still be followed by more).
    public func nodes(
        label: String? = nil, propertyKey: String, value: PropertyValue? = nil, limit: Int, after: NodeID? = nil,
        scanLimit: Int? = nil
    ) -> Page<Node> {
        if let label, let value, let index = propertyIndexes[label]?[propertyKey] {
            // The index's hash finds candidates; their values say which match.
            let found = index.candidates(for: value).ids(after: after?.rawValue).lazy.compactMap { id in
                nodeRecords[id].flatMap { record in property(propertyKey, in: record.properties) == value ? node(id, record) : nil }
            }
            return collectPage(limit: limit, from: found)
        }
        // A key no node ever had matches nothing; otherwise match on its
        // number, decoding only the nodes that match.
        let keyID = propertyKeys.id(of: propertyKey)
        let matches: (NodeRecord) -> Bool = { record in
            guard let keyID, let found = record.properties.value(for: keyID) else { return false }
            return value.map { $0 == found } ?? true
        }
        guard let scanLimit else {
            let found = candidateRecords(label: label, after: after).lazy.filter { matches($0.value) }.map {
                node($0.id, $0.value)
            }
            return collectPage(limit: limit, from: found)
        }
        guard limit > 0 else { return Page(items: [], nextCursor: nil) }
        var items: [Node] = []
        var scanned = 0
        var lastScanned: NodeID?
        for entry in candidateRecords(label: label, after: after) {
            if scanned >= Swift.max(scanLimit, 1) { return Page(items: items, nextCursor: lastScanned) }
            scanned += 1
            lastScanned = NodeID(entry.id)
            guard matches(entry.value) else { continue }
            if items.count == limit { return Page(items: items, nextCursor: items.last?.id) }
            items.append(node(entry.id, entry.value))
        }
        return Page(items: items, nextCursor: nil)
    }

    /// Relationships with ids above `after`, ascending, at most `limit` of
    /// them; only those of `type` when one is given.
    ///
    /// O(log n + limit) without a type; with one, O(log n + r), r being the
    /// relationships scanned until the page is full.
    public func relationships(type: String? = nil, limit: Int, after: RelationshipID? = nil) -> Page<Relationship> {
        let all = relationshipRecords.entries(after: after?.rawValue).lazy
        guard let type else { return collectPage(limit: limit, from: all.map { relationship($0.id, $0.value) }) }
        guard let typeID = relationshipTypes.id(of: type) else { return Page(items: [], nextCursor: nil) }
        return collectPage(
            limit: limit, from: all.filter { $0.value.type == typeID }.map { relationship($0.id, $0.value) })
    }

    /// The relationships of `node` in `direction`, ascending by id, above
    /// `after` and at most `limit`; only those of `type` when one is given.
    /// A self-loop is listed once, also for ``Direction/both``.
    ///
    /// Throws ``GraphStoreError/Code/nodeNotFound`` when the node does not
    /// exist (as opposed to an empty page for a node without relationships).
    /// O(log d + k·log n) for k relationships looked at, d the node's degree.
    public func relationships(
        of node: NodeID, direction: Direction = .both, type: String? = nil, limit: Int = .max,
        after: RelationshipID? = nil
    ) throws(GraphStoreError) -> Page<Relationship> {
        guard let record = nodeRecords[node.rawValue] else {
            throw GraphStoreError(.nodeNotFound, "cannot list the relationships of node \(node): it does not exist")
        }
        let start = after?.rawValue
        let ids = MergedIDs(
            direction == .incoming ? IDSet().ids() : record.outgoing.ids(after: start),
            direction == .outgoing ? IDSet().ids() : record.incoming.ids(after: start))
        // `after` at the top of the id space leaves nothing above it.
        let exhausted = after?.rawValue == UInt64.max
        // A type no relationship ever had matches nothing.
        let typeID = type.map { relationshipTypes.id(of: $0) ?? UInt32.max }
        let found = ids.lazy.compactMap { id in relationshipRecords[id].map { (id: id, record: $0) } }
            .filter { typeID == nil || $0.record.type == typeID }
            .map { relationship($0.id, $0.record) }
        return collectPage(limit: exhausted ? 0 : limit, from: found)
    }

    /// Counts per label and per relationship type, and the totals. O(labels + types).
    public var stats: GraphStats {
        GraphStats(
            nodeCount: nodeCount, relationshipCount: relationshipCount,
            nodesPerLabel: Dictionary(uniqueKeysWithValues: labelIndex.entries.map { ($0.label, $0.ids.count) }),
            relationshipsPerType: Dictionary(uniqueKeysWithValues: relationshipTypeCounts.lazy.map { ($0.key, $0.value) }),
            nextNodeID: nextNodeID, nextRelationshipID: nextRelationshipID)
    }

    /// Every label some node carries, sorted.
    public var labels: [String] { labelIndex.entries.map(\.label).sorted() }

    /// The nodes in id order above `after`, from the label index when a label is given.
    private func candidateNodes(label: String?, after: NodeID?) -> some Sequence<Node> {
        candidateRecords(label: label, after: after).lazy.map { node($0.id, $0.value) }
    }

    /// The node records in id order above `after`, from the label index when a label is given.
    private func candidateRecords(label: String?, after: NodeID?) -> CandidateRecords {
        guard let label else { return CandidateRecords(all: nodeRecords.entries(after: after?.rawValue)) }
        guard let ids = labelIndex[label] else { return CandidateRecords(all: nil) }
        return CandidateRecords(ids: ids.ids(after: after?.rawValue), of: nodeRecords)
    }
}

/// The candidates of a node scan: every record, or those of one label's
/// ids. A concrete type rather than an `AnySequence`, whose boxed
/// iterator runs the wrapped one unspecialised, looking up generic
/// metadata for every record: two thirds of a ten-million-node scan.
struct CandidateRecords: Sequence, IteratorProtocol {
    /// Every record, when no label narrows the scan.
    private var all: IDMap<NodeRecord>.Iterator?
    /// The label's ids, and the records to look them up in.
    private var ids: IDSet.Iterator?
    private let records: IDMap<NodeRecord>

    init(all: IDMap<NodeRecord>.Iterator?) {
        self.all = all
        records = IDMap()
    }

    init(ids: IDSet.Iterator, of records: IDMap<NodeRecord>) {
        self.ids = ids
        self.records = records
    }

    /// Mutates the iterators in place (optional chaining), so their
    /// path arrays are never copied.
    mutating func next() -> IDMap<NodeRecord>.Entry? {
        if all != nil { return all?.next() }
        while let id = ids?.next() {
            if let record = records[id] { return .init(id: id, value: record) }
        }
        return nil
    }
}

/// Two ascending id sequences merged into one ascending sequence without
/// duplicates (a self-loop is in both a node's outgoing and incoming sets).
struct MergedIDs: Sequence, IteratorProtocol {
    var first: IDSet.Iterator
    var second: IDSet.Iterator
    var nextFirst: UInt64?
    var nextSecond: UInt64?

    init(_ first: IDSet.Iterator, _ second: IDSet.Iterator) {
        self.first = first
        self.second = second
        nextFirst = self.first.next()
        nextSecond = self.second.next()
    }

    mutating func next() -> UInt64? {
        switch (nextFirst, nextSecond) {
        case (nil, nil):
            return nil
        case (let a?, nil):
            nextFirst = first.next()
            return a
        case (nil, let b?):
            nextSecond = second.next()
            return b
        case (let a?, let b?):
            if a <= b { nextFirst = first.next() }
            if b <= a { nextSecond = second.next() }
            return Swift.min(a, b)
        }
    }
}
