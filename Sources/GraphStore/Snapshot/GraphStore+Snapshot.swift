import WriteAheadLog

/// Whole-store snapshots as bytes, in the format ``SnapshotHeader`` describes.
///
/// Writing the bytes to disk atomically (temp file, fsync, rename, directory
/// fsync) is the database layer's job; this layer only makes and checks them.
extension GraphStore {
    /// The store as a snapshot consistent with WAL position `walLSN`
    /// (`LSN.none` when there is no log), in memory. O(size of the graph).
    ///
    /// Deterministic: equal stores with the same intern tables give
    /// identical bytes. For a file, prefer
    /// ``writeSnapshot(walLSN:chunkBytes:to:)``, which never holds the
    /// whole snapshot in memory.
    public func snapshotBytes(walLSN: LSN = .none, logPosition: LogPosition? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        writeSnapshot(walLSN: walLSN, logPosition: logPosition) { chunk, offset in
            let start = Int(offset)
            if start == bytes.count {
                bytes.append(contentsOf: chunk)
            } else {
                // The header, written last, over the space left for it at the start.
                if bytes.count < start + chunk.count {
                    bytes.append(contentsOf: repeatElement(0, count: start + chunk.count - bytes.count))
                }
                bytes.replaceSubrange(start..<(start + chunk.count), with: chunk)
            }
        }
        return bytes
    }

    /// Streams the store as a snapshot consistent with WAL position
    /// `walLSN` to `sink`, in pieces of about `chunkBytes`, and returns the
    /// header it wrote. `logPosition`, where record `walLSN` starts in the
    /// log (`WAL.position(of:)`), is kept for recovery to begin reading
    /// the log there (`WAL.open`'s `fencePosition`).
    ///
    /// `sink` gets each piece with the offset it belongs at: the body from
    /// offset ``SnapshotHeader/size`` on, in order, then the body checksum,
    /// and last the header at offset 0 (its body length and counts are known
    /// only then). Extra memory is one piece, whatever the size of the
    /// graph; the store is a value, so a checkpoint can stream a version
    /// while writers commit newer ones. Equal stores with the same intern
    /// tables (a store and one loaded from its snapshot, say) give
    /// identical bytes.
    /// Rethrows what `sink` throws, having stopped writing.
    @discardableResult
    public func writeSnapshot<Failure: Error>(
        walLSN: LSN = .none, logPosition: LogPosition? = nil, chunkBytes: Int = 1 << 20,
        to sink: (_ bytes: [UInt8], _ offset: UInt64) throws(Failure) -> Void
    ) throws(Failure) -> SnapshotHeader {
        let threshold = Swift.max(chunkBytes, 64)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(threshold + 4096)
        var offset = UInt64(SnapshotHeader.size)
        var checksum: UInt32 = 0
        func flush() throws(Failure) {
            guard !buffer.isEmpty else { return }
            checksum = CRC32C.checksum(buffer, seed: checksum)
            try sink(buffer, offset)
            offset += UInt64(buffer.count)
            buffer.removeAll(keepingCapacity: true)
        }
        // Version 4: where the fence's record starts in the log, if known.
        // Only a position at or below the fence is of use (or readable).
        if let logPosition, logPosition.lsn != .none, logPosition.lsn <= walLSN {
            buffer.append(1)
            buffer.appendVarint(logPosition.segment.rawValue)
            buffer.appendVarint(logPosition.offset)
            buffer.appendVarint(logPosition.lsn.rawValue)
        } else {
            buffer.append(0)
        }
        // Version 3: the intern tables first, so records can stay encoded.
        buffer.appendVarint(UInt64(labelSets.count))
        for labels in labelSets.allSets {
            buffer.appendLabels(labels)
            if buffer.count >= threshold { try flush() }
        }
        for table in [propertyKeys, relationshipTypes] {
            buffer.appendVarint(UInt64(table.count))
            for name in table.allNames {
                buffer.appendVarString(name)
                if buffer.count >= threshold { try flush() }
            }
        }
        var previous: UInt64? = nil
        for entry in nodeRecords {
            let record = entry.value
            buffer.appendVarint(Self.gap(from: previous, to: entry.id))
            buffer.appendVarint(UInt64(record.labelSet))
            record.properties.withUnsafeBytes { properties in
                buffer.appendVarint(UInt64(properties.count))
                buffer.appendRaw(properties)
            }
            previous = entry.id
            if buffer.count >= threshold { try flush() }
        }
        previous = nil
        for entry in relationshipRecords {
            let record = entry.value
            buffer.appendVarint(Self.gap(from: previous, to: entry.id))
            buffer.appendVarint(UInt64(record.type))
            buffer.appendVarint(record.source.rawValue)
            buffer.appendVarint(record.target.rawValue)
            record.properties.withUnsafeBytes { properties in
                buffer.appendVarint(UInt64(properties.count))
                buffer.appendRaw(properties)
            }
            previous = entry.id
            if buffer.count >= threshold { try flush() }
        }
        // Version 2: the index definitions, sorted; their contents are rebuilt on load.
        let indexes = self.indexes
        buffer.appendVarint(UInt64(indexes.count))
        for index in indexes {
            buffer.appendVarString(index.label)
            buffer.appendVarString(index.key)
            buffer.append(index.isUnique ? 1 : 0)
        }
        try flush()
        let bodyLength = offset - UInt64(SnapshotHeader.size)
        var trailer: [UInt8] = []
        trailer.appendLittleEndian(checksum)
        try sink(trailer, offset)
        let header = SnapshotHeader(
            walLSN: walLSN, nodeCount: UInt64(nodeCount), relationshipCount: UInt64(relationshipCount),
            nextNodeID: nextNodeID, nextRelationshipID: nextRelationshipID, bodyLength: bodyLength)
        try sink(header.bytes, 0)
        return header
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
        let loaded = try loadSnapshot(bytes)
        return (loaded.store, loaded.header.walLSN)
    }

    /// ``decodeSnapshot(_:)``, returning the whole header and the log
    /// position the snapshot keeps (version 4 on) as well.
    public static func loadSnapshot(_ bytes: [UInt8]) throws(GraphStoreError) -> LoadedSnapshot {
        try loadSnapshot(bytes, threads: .automatic)
    }

    /// ``loadSnapshot(_:)`` over bytes wherever they lie (a mapped file),
    /// read during the call only.
    public static func loadSnapshot(contentsOf bytes: UnsafeRawBufferPointer) throws(GraphStoreError) -> LoadedSnapshot {
        try loadSnapshot(contentsOf: bytes, threads: .automatic)
    }

    /// The same on as many threads as asked (tests compare the two ways).
    static func loadSnapshot(_ bytes: [UInt8], threads: DecodingThreads) throws(GraphStoreError) -> LoadedSnapshot {
        let outcome: Result<LoadedSnapshot, GraphStoreError> = bytes.withUnsafeBytes { raw in
            do throws(GraphStoreError) {
                return .success(try loadSnapshot(contentsOf: raw, threads: threads))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    static func loadSnapshot(contentsOf bytes: UnsafeRawBufferPointer, threads: DecodingThreads) throws(GraphStoreError) -> LoadedSnapshot {
        let header = try SnapshotHeader(parsing: Array(bytes.prefix(SnapshotHeader.size)))
        switch header.checkBody(ofBytes: bytes) {
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
            var reader = BinaryReader(UnsafeRawBufferPointer(rebasing: bytes[body]))
            let logPosition = header.version >= 4 ? try readLogPosition(&reader, header: header) : nil
            let store = try decodeBody(&reader, header: header, threads: threads)
            return LoadedSnapshot(store: store, header: header, logPosition: logPosition)
        } catch {
            throw GraphStoreError(
                .snapshotCorrupt,
                "the snapshot body (from offset \(SnapshotHeader.size)) is malformed: \(error.message)")
        }
    }

    /// The log position a snapshot keeps (format version 4 on), read from
    /// the start of its body without decoding the rest; nil when it keeps
    /// none or is older. `header` is the snapshot's own, parsed; check the
    /// body (``SnapshotHeader/checkBody(of:)``) before trusting the answer.
    public static func logPosition(ofSnapshot bytes: [UInt8], header: SnapshotHeader) throws(GraphStoreError) -> LogPosition? {
        guard header.version >= 4 else { return nil }
        guard UInt64(bytes.count) >= header.snapshotSize else {
            throw GraphStoreError(.snapshotCorrupt, "the snapshot is shorter than its header promises", offset: bytes.count)
        }
        do throws(WALError) {
            return try withReader(over: bytes, range: SnapshotHeader.size..<(SnapshotHeader.size + Int(header.bodyLength))) {
                reader throws(WALError) in try readLogPosition(&reader, header: header)
            }
        } catch {
            throw GraphStoreError(
                .snapshotCorrupt, "the snapshot body (from offset \(SnapshotHeader.size)) is malformed: \(error.message)")
        }
    }

    /// Version 4's first field: the log position of the fence's record, or none.
    private static func readLogPosition(_ reader: inout BinaryReader, header: SnapshotHeader) throws(WALError) -> LogPosition? {
        let present = try reader.readByte("log position flag")
        guard present != 0 else { return nil }
        guard present == 1 else { throw WALError(.eventDecoding, "the log position flag is \(present), not 0 or 1") }
        let segment = try reader.readVarint("log position's segment")
        let offset = try reader.readVarint("log position's offset")
        let lsn = LSN(try reader.readVarint("log position's LSN"))
        guard lsn != .none, lsn <= header.walLSN else {
            throw WALError(.eventDecoding, "the log position names LSN \(lsn), which is not from 1 to the snapshot's LSN \(header.walLSN)")
        }
        return LogPosition(segment: SegmentID(segment), offset: offset, lsn: lsn)
    }

    /// The id gap the body stores: `id - (previous + 1)`, or `id` for the first.
    private static func gap(from previous: UInt64?, to id: UInt64) -> UInt64 {
        guard let previous else { return id }
        return id - previous - 1
    }

    /// Reads the next id from its gap, refusing a sum past the id space.
    static func readID(
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
    private static func decodeBody(
        _ reader: inout BinaryReader, header: SnapshotHeader, threads: DecodingThreads
    ) throws(WALError) -> GraphStore
    {
        var store = GraphStore()
        if header.version >= 3 {
            try decodeRecords(&reader, header: header, threads: threads, into: &store)
        } else {
            try decodeValues(&reader, header: header, into: &store)
        }
        if let last = store.nodeRecords.lastID, last >= header.nextNodeID.rawValue {
            throw WALError(
                .eventDecoding, "node \(last) is not below the header's next node id \(header.nextNodeID)")
        }
        if let last = store.relationshipRecords.lastID, last >= header.nextRelationshipID.rawValue {
            throw WALError(
                .eventDecoding,
                "relationship \(last) is not below the header's next relationship id \(header.nextRelationshipID)")
        }
        if header.version >= 2 {
            // Each definition takes at least 3 bytes.
            let count = try reader.readVarint("index count")
            guard count <= UInt64(reader.remaining / 3) else {
                throw WALError(.eventDecoding, "the index count \(count) cannot fit in the \(reader.remaining) bytes left")
            }
            for number in 0..<Int(count) {
                let label = try reader.readVarString("label of index \(number)")
                let key = try reader.readVarString("key of index \(number)")
                let unique = try reader.readByte("uniqueness of index \(number)")
                guard unique <= 1 else {
                    throw WALError(.eventDecoding, "index \(number) has uniqueness flag \(unique), not 0 or 1")
                }
                guard store.propertyIndexes[label]?[key] == nil else {
                    throw WALError(.eventDecoding, "index \(number) on \(quoted(label)).\(quoted(key)) is listed twice")
                }
                do {
                    try store.apply(.createIndex(label: label, key: key, unique: unique == 1))
                } catch {
                    throw WALError(.eventDecoding, "index \(number) cannot be rebuilt: \(error.message)")
                }
            }
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
    /// Checks the header's counts against the bytes left, at `nodeBytes`
    /// and `relationshipBytes` at least per record: larger counts are lies,
    /// and checking them first keeps the loops honest.
    private static func checkCounts(
        _ reader: BinaryReader, header: SnapshotHeader, nodeBytes: Int, relationshipBytes: Int
    ) throws(WALError) {
        guard header.nodeCount <= UInt64(reader.remaining / nodeBytes),
            header.relationshipCount <= UInt64(reader.remaining / relationshipBytes)
        else {
            throw WALError(
                .eventDecoding,
                "the header's counts (\(header.nodeCount) nodes, \(header.relationshipCount) relationships) cannot fit in a body of \(header.bodyLength) bytes"
            )
        }
    }

    /// Versions 1 and 2: labels, types and property keys as strings in
    /// every record; they are interned and the properties encoded here.
    private static func decodeValues(
        _ reader: inout BinaryReader, header: SnapshotHeader, into store: inout GraphStore
    ) throws(WALError) {
        try checkCounts(reader, header: header, nodeBytes: 3, relationshipBytes: 6)
        var previous: UInt64? = nil
        var labelIndex = LabelIndexBuilder()
        for index in 0..<Int(header.nodeCount) {
            let id = try readID(&reader, after: previous, "id of node \(index)")
            let labelSet = store.internLabelSet(try reader.readLabels("labels of node \(id)"))
            let properties = try reader.readProperties("properties of node \(id)")
            store.nodeRecords.insert(
                NodeRecord(labelSet: labelSet, properties: store.propertyBlob(properties)), for: id)
            labelIndex.add(id, labelSet: labelSet)
            previous = id
        }
        labelIndex.finish(into: &store)
        previous = nil
        for index in 0..<Int(header.relationshipCount) {
            let id = try readID(&reader, after: previous, "id of relationship \(index)")
            let type = try reader.readVarString("type of relationship \(id)")
            let source = NodeID(try reader.readVarint("source of relationship \(id)"))
            let target = NodeID(try reader.readVarint("target of relationship \(id)"))
            let properties = try reader.readProperties("properties of relationship \(id)")
            let record = RelationshipRecord(
                source: source, target: target, type: store.relationshipTypes.intern(type),
                properties: store.propertyBlob(properties))
            try addRelationship(id, record, to: &store)
            previous = id
        }
    }

    /// Version 3: the intern tables, then records whose properties are
    /// kept as stored once checked.
    private static func decodeRecords(
        _ reader: inout BinaryReader, header: SnapshotHeader, threads decodingThreads: DecodingThreads,
        into store: inout GraphStore
    ) throws(WALError) {
        let labelSetCount = try reader.readCount("label set count", minimumElementSize: 1)
        for index in 0..<labelSetCount {
            let number = index + 1
            let labels = try reader.readLabels("label set \(number)")
            guard !labels.isEmpty, store.internLabelSet(labels) == UInt32(number) else {
                throw WALError(.eventDecoding, "label set \(number) is empty or listed twice")
            }
        }
        for (what, isKeys) in [("property key", true), ("relationship type", false)] {
            let count = try reader.readCount("\(what) count", minimumElementSize: 1)
            for number in 0..<count {
                let name = try reader.readVarString("\(what) \(number)")
                let id = isKeys ? store.propertyKeys.intern(name) : store.relationshipTypes.intern(name)
                guard id == UInt32(number) else {
                    throw WALError(.eventDecoding, "\(what) \(number) repeats \(quoted(name))")
                }
            }
        }
        try checkCounts(reader, header: header, nodeBytes: 3, relationshipBytes: 5)
        let section = NodeSection(count: Int(header.nodeCount), labelSetCount: labelSetCount, keyCount: store.propertyKeys.count)
        var labelIndex = LabelIndexBuilder()
        // Ids come in ascending order (readID checks it), so the trie is
        // built a node at a time rather than walked for every record.
        var nodes = IDMap<NodeRecord>.AscendingBuilder()
        try section.decode(&reader, threads: decodingThreads, arena: &store.blobArena) { id, record throws(WALError) in
            guard nodes.append(record, for: id) else {
                throw WALError(.eventDecoding, "node \(id) is not above the node before it")
            }
            labelIndex.add(id, labelSet: record.labelSet)
        }
        store.nodeRecords = nodes.finish()
        labelIndex.finish(into: &store)
        var previous: UInt64? = nil
        let typeCount = store.relationshipTypes.count
        for index in 0..<Int(header.relationshipCount) {
            let id = try readID(&reader, after: previous, "id of relationship \(index)")
            let type = try reader.readVarint("type of relationship \(id)")
            guard type < UInt64(typeCount) else {
                throw WALError(.eventDecoding, "relationship \(id) has type \(type), not in the table of \(typeCount)")
            }
            let source = NodeID(try reader.readVarint("source of relationship \(id)"))
            let target = NodeID(try reader.readVarint("target of relationship \(id)"))
            let raw = try reader.readVarBytesInPlace("properties of relationship \(id)")
            let properties: PropertyBlob
            do throws(WALError) {
                properties = try PropertyBlob(validating: raw, keyCount: section.keyCount, in: &store.blobArena)
            } catch {
                throw WALError(.eventDecoding, "properties of relationship \(id): \(error.message)")
            }
            let record = RelationshipRecord(source: source, target: target, type: UInt32(type), properties: properties)
            try addRelationship(id, record, to: &store)
            previous = id
        }
    }

    /// Adds a loaded relationship whose endpoints must be loaded already.
    private static func addRelationship(
        _ id: UInt64, _ record: RelationshipRecord, to store: inout GraphStore
    ) throws(WALError) {
        for (role, node) in [("source", record.source), ("target", record.target)]
        where !store.nodeRecords.contains(node.rawValue) {
            throw WALError(.eventDecoding, "the \(role) node \(node) of relationship \(id) is not in the snapshot")
        }
        store.relationshipRecords.insert(record, for: id)
        store.nodeRecords.update(record.source.rawValue) { $0.updateAdjacency { outgoing, _ in outgoing.insert(id) } }
        store.nodeRecords.update(record.target.rawValue) { $0.updateAdjacency { _, incoming in incoming.insert(id) } }
        store.relationshipTypeCounts[store.typeName(record.type), default: 0] += 1
    }
}

/// The label index of nodes loaded in ascending id order: each label set's
/// ids gathered first (one bit set per node), then merged into each of its
/// labels' sets a word of 64 ids at a time, instead of one insert per node
/// and label.
private struct LabelIndexBuilder {
    /// The ids of each label set so far, by label set number (they count
    /// up from 1, so an array: hashing the number for every node showed in
    /// a load's profile). Ids arrive in ascending order, so each insert
    /// sets a bit of the set's inline last word, and the trie gets a word
    /// once per 64 ids.
    private var sets: [IDSet] = []

    mutating func add(_ id: UInt64, labelSet: UInt32) {
        guard labelSet != 0 else { return }
        let slot = Int(labelSet)
        if slot >= sets.count { sets += repeatElement(IDSet(), count: slot + 1 - sets.count) }
        // In place, no copy of the set (not even to test it for nil): its
        // trie stays uniquely referenced.
        sets[slot].insert(id)
    }

    /// Unions each label set's ids into the index of each of its labels.
    func finish(into store: inout GraphStore) {
        for (slot, ids) in sets.enumerated() where !ids.isEmpty {
            let labelSet = UInt32(slot)
            for label in store.labelSets[labelSet] {
                store.labelIndex.formUnion(ids, label: label)
            }
        }
    }
}
