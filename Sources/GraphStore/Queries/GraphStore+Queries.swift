/// The read API: lookups by id, paged scans in id order, adjacency, stats.
///
/// There is no property index: a property filter scans the candidates (the
/// label's nodes, or all nodes) in id order until the page is full, so its
/// cost grows with how many candidates it has to look at, not with the page.
extension GraphStore {
    /// The node with this id, if it exists. O(log n).
    public func node(_ id: NodeID) -> Node? {
        nodeRecords[id.rawValue]?.node
    }

    /// The relationship with this id, if it exists. O(log n).
    public func relationship(_ id: RelationshipID) -> Relationship? {
        relationshipRecords[id.rawValue]
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
    /// O(log n + c), c being the candidates scanned (the label's nodes, or all
    /// nodes, above `after`) until the page is full or they run out.
    public func nodes(
        label: String? = nil, propertyKey: String, value: PropertyValue? = nil, limit: Int, after: NodeID? = nil
    ) -> Page<Node> {
        let matches = candidateNodes(label: label, after: after).lazy.filter { node in
            guard let found = node.properties[propertyKey] else { return false }
            return value.map { $0 == found } ?? true
        }
        return collectPage(limit: limit, from: matches)
    }

    /// Relationships with ids above `after`, ascending, at most `limit` of
    /// them; only those of `type` when one is given.
    ///
    /// O(log n + limit) without a type; with one, O(log n + r), r being the
    /// relationships scanned until the page is full.
    public func relationships(type: String? = nil, limit: Int, after: RelationshipID? = nil) -> Page<Relationship> {
        let all = relationshipRecords.entries(after: after?.rawValue).lazy.map(\.value)
        guard let type else { return collectPage(limit: limit, from: all) }
        return collectPage(limit: limit, from: all.filter { $0.type == type })
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
        let outgoing = direction == .incoming ? [] : record.outgoing
        let incoming = direction == .outgoing ? [] : record.incoming
        let ids = MergedIDs(
            outgoing, from: after.map { outgoing.lowerBound(of: RelationshipID($0.rawValue &+ 1)) } ?? 0,
            incoming, from: after.map { incoming.lowerBound(of: RelationshipID($0.rawValue &+ 1)) } ?? 0)
        // `after` at the top of the id space leaves nothing above it.
        let exhausted = after?.rawValue == UInt64.max
        let found = ids.lazy.compactMap { relationshipRecords[$0.rawValue] }.filter { type == nil || $0.type == type }
        return collectPage(limit: exhausted ? 0 : limit, from: found)
    }

    /// Counts per label and per relationship type, and the totals. O(labels + types).
    public var stats: GraphStats {
        GraphStats(
            nodeCount: nodeCount, relationshipCount: relationshipCount,
            nodesPerLabel: labelIndex.mapValues(\.count), relationshipsPerType: relationshipTypeCounts,
            nextNodeID: nextNodeID, nextRelationshipID: nextRelationshipID)
    }

    /// Every label some node carries, sorted.
    public var labels: [String] { labelIndex.keys.sorted() }

    /// The nodes in id order above `after`, from the label index when a label is given.
    private func candidateNodes(label: String?, after: NodeID?) -> AnySequence<Node> {
        guard let label else {
            return AnySequence(nodeRecords.entries(after: after?.rawValue).lazy.map(\.value.node))
        }
        guard let ids = labelIndex[label] else { return AnySequence([]) }
        let records = nodeRecords
        return AnySequence(ids.ids(after: after?.rawValue).lazy.compactMap { records[$0]?.node })
    }
}

/// Two ascending id lists merged into one ascending sequence without
/// duplicates (a self-loop is in both a node's outgoing and incoming lists).
struct MergedIDs: Sequence, IteratorProtocol {
    let first: [RelationshipID]
    var firstIndex: Int
    let second: [RelationshipID]
    var secondIndex: Int

    init(_ first: [RelationshipID], from firstIndex: Int, _ second: [RelationshipID], from secondIndex: Int) {
        self.first = first
        self.firstIndex = firstIndex
        self.second = second
        self.secondIndex = secondIndex
    }

    mutating func next() -> RelationshipID? {
        let a = firstIndex < first.count ? first[firstIndex] : nil
        let b = secondIndex < second.count ? second[secondIndex] : nil
        switch (a, b) {
        case (nil, nil):
            return nil
        case (let a?, nil):
            firstIndex += 1
            return a
        case (nil, let b?):
            secondIndex += 1
            return b
        case (let a?, let b?):
            if a <= b { firstIndex += 1 }
            if b <= a { secondIndex += 1 }
            return Swift.min(a, b)
        }
    }
}
