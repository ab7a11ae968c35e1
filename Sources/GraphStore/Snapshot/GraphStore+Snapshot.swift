import WriteAheadLog

/// Whole-store snapshots as bytes, in the format ``SnapshotHeader`` describes.
///
/// Writing the bytes to disk atomically (temp file, fsync, rename, directory
/// fsync) is the database layer's job; this layer only makes and checks them.
extension GraphStore {
    /// The store as a snapshot consistent with WAL position `walLSN`
    /// (`LSN.none` when there is no log). O(size of the graph).
    ///
    /// Deterministic: equal stores give identical bytes.
    public func snapshotBytes(walLSN: LSN = .none) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: SnapshotHeader.size)
        var previous: UInt64? = nil
        for entry in nodeRecords {
            let node = entry.value.node
            bytes.appendVarint(Self.gap(from: previous, to: entry.id))
            bytes.appendLabels(node.labels)
            bytes.appendProperties(node.properties)
            previous = entry.id
        }
        previous = nil
        for entry in relationshipRecords {
            let relationship = entry.value
            bytes.appendVarint(Self.gap(from: previous, to: entry.id))
            bytes.appendVarString(relationship.type)
            bytes.appendVarint(relationship.source.rawValue)
            bytes.appendVarint(relationship.target.rawValue)
            bytes.appendProperties(relationship.properties)
            previous = entry.id
        }
        let bodyChecksum = bytes.withUnsafeBytes {
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[SnapshotHeader.size...]))
        }
        let header = SnapshotHeader(
            walLSN: walLSN, nodeCount: UInt64(nodeCount), relationshipCount: UInt64(relationshipCount),
            nextNodeID: nextNodeID, nextRelationshipID: nextRelationshipID,
            bodyLength: UInt64(bytes.count - SnapshotHeader.size))
        bytes.replaceSubrange(0..<SnapshotHeader.size, with: header.bytes)
        bytes.appendLittleEndian(bodyChecksum)
        return bytes
    }

    /// Rebuilds a store from snapshot bytes and returns it with the WAL LSN
    /// the snapshot is consistent with.
    ///
    /// Verifies, in order: the header (magic, checksum, version, flags), the
    /// size, the body checksum, then the body itself against the header's
    /// counts and id counters and the graph's own rules (ids ascending,
    /// relationship endpoints present, no repeated label or key). Any
    /// failure throws a ``GraphStoreError`` with code
    /// ``GraphStoreError/Code/snapshotCorrupt``,
    /// ``GraphStoreError/Code/snapshotChecksumMismatch`` or
    /// ``GraphStoreError/Code/unsupportedSnapshotVersion`` naming what is
    /// wrong and where. O(size of the snapshot).
    public static func decodeSnapshot(_ bytes: [UInt8]) throws(GraphStoreError) -> (store: GraphStore, walLSN: LSN) {
        let header = try SnapshotHeader(parsing: bytes)
        switch header.checkBody(of: bytes) {
        case .intact:
            break
        case .wrongSize(let expected, let actual):
            throw GraphStoreError(
                .snapshotCorrupt,
                actual < expected
                    ? "the snapshot is truncated: its header promises \(expected) bytes, but there are only \(actual)"
                    : "the snapshot has \(actual - expected) unexpected bytes after its end (expected \(expected) bytes)",
                offset: Int(clamping: Swift.min(expected, actual)))
        case .checksumMismatch(let stored, let computed):
            throw GraphStoreError(
                .snapshotChecksumMismatch,
                "the body checksum does not match (stored \(hex(stored)), computed \(hex(computed))): the body is damaged",
                offset: SnapshotHeader.size + Int(header.bodyLength))
        }
        let body = SnapshotHeader.size..<(SnapshotHeader.size + Int(header.bodyLength))
        do throws(WALError) {
            let store = try withReader(over: bytes, range: body) { reader throws(WALError) in
                try decodeBody(&reader, header: header)
            }
            return (store, header.walLSN)
        } catch {
            throw GraphStoreError(
                .snapshotCorrupt,
                "the snapshot body (from offset \(SnapshotHeader.size)) is malformed: \(error.message)")
        }
    }

    /// The id gap the body stores: `id - (previous + 1)`, or `id` for the first.
    private static func gap(from previous: UInt64?, to id: UInt64) -> UInt64 {
        guard let previous else { return id }
        return id - previous - 1
    }

    /// Reads the next id from its gap, refusing a sum past the id space.
    private static func readID(
        _ reader: inout BinaryReader, after previous: UInt64?, _ what: @autoclosure () -> String
    ) throws(WALError) -> UInt64 {
        let gap = try reader.readVarint(what())
        let base = previous.map { $0 &+ 1 } ?? 0
        let (id, overflow) = base.addingReportingOverflow(gap)
        guard !overflow, previous != UInt64.max else {
            throw WALError(.eventDecoding, "the \(what()) lies beyond the id space")
        }
        return id
    }

    /// Decodes the body into a store, checking it against `header`.
    ///
    /// Errors are `WALError`s because the shared readers throw those; the
    /// caller turns them into one ``GraphStoreError``.
    private static func decodeBody(_ reader: inout BinaryReader, header: SnapshotHeader) throws(WALError) -> GraphStore
    {
        var store = GraphStore()
        // A node takes at least 3 bytes and a relationship 6, so counts above
        // these bounds are lies; checking them first keeps the loops honest.
        guard header.nodeCount <= UInt64(reader.remaining / 3),
            header.relationshipCount <= UInt64(reader.remaining / 6)
        else {
            throw WALError(
                .eventDecoding,
                "the header's counts (\(header.nodeCount) nodes, \(header.relationshipCount) relationships) cannot fit in a body of \(header.bodyLength) bytes"
            )
        }
        var previous: UInt64? = nil
        for index in 0..<Int(header.nodeCount) {
            let id = try readID(&reader, after: previous, "id of node \(index)")
            let labels = try reader.readLabels("labels of node \(id)")
            let properties = try reader.readProperties("properties of node \(id)")
            store.nodeRecords.insert(
                NodeRecord(node: Node(id: NodeID(id), labels: labels, properties: properties)), for: id)
            for label in labels { store.labelIndex[label, default: IDSet()].insert(id) }
            previous = id
        }
        if let last = store.nodeRecords.lastID, last >= header.nextNodeID.rawValue {
            throw WALError(
                .eventDecoding, "node \(last) is not below the header's next node id \(header.nextNodeID)")
        }
        previous = nil
        for index in 0..<Int(header.relationshipCount) {
            let id = try readID(&reader, after: previous, "id of relationship \(index)")
            let type = try reader.readVarString("type of relationship \(id)")
            let source = NodeID(try reader.readVarint("source of relationship \(id)"))
            let target = NodeID(try reader.readVarint("target of relationship \(id)"))
            let properties = try reader.readProperties("properties of relationship \(id)")
            for (role, node) in [("source", source), ("target", target)]
            where !store.nodeRecords.contains(node.rawValue) {
                throw WALError(.eventDecoding, "the \(role) node \(node) of relationship \(id) is not in the snapshot")
            }
            let relationshipID = RelationshipID(id)
            store.relationshipRecords.insert(
                Relationship(id: relationshipID, type: type, source: source, target: target, properties: properties),
                for: id)
            store.nodeRecords.update(source.rawValue) { $0.outgoing.insertSorted(relationshipID) }
            store.nodeRecords.update(target.rawValue) { $0.incoming.insertSorted(relationshipID) }
            store.relationshipTypeCounts[type, default: 0] += 1
            previous = id
        }
        if let last = store.relationshipRecords.lastID, last >= header.nextRelationshipID.rawValue {
            throw WALError(
                .eventDecoding,
                "relationship \(last) is not below the header's next relationship id \(header.nextRelationshipID)")
        }
        guard reader.isAtEnd else {
            throw WALError(
                .eventDecoding,
                "\(reader.remaining) bytes are left over after the \(header.relationshipCount) relationships the header counts"
            )
        }
        store.nextNodeID = header.nextNodeID
        store.nextRelationshipID = header.nextRelationshipID
        return store
    }
}
