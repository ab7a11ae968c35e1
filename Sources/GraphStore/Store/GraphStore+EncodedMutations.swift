import WriteAheadLog

/// Mutations for a writer that logs through an ``EncodedBatch``: each one
/// also appends its event's log bytes, so the commit copies them instead
/// of encoding the events again.
extension GraphStore {
    /// ``createNode(labels:properties:events:)``, also appending the
    /// event's log bytes to `encoded`, and building the node's property
    /// bytes from them: the record stores each value as the log does, so
    /// the properties are encoded once, not once for the record and again
    /// for the log.
    ///
    /// The common case only: keys the store has numbered, values within
    /// the nesting limit, no unique constraint refusing the node, and
    /// `encoded` holding exactly `events`. Anything else takes the public
    /// form (which numbers new keys, checks constraints and names what it
    /// refuses, in its order), and leaves the event for the commit to
    /// encode. Nothing changes when it throws.
    @discardableResult
    package mutating func createNode(
        labels: Set<String>, properties: [String: PropertyValue], events: inout [MutationEvent],
        encoded: inout EncodedBatch
    ) throws(GraphStoreError) -> NodeID {
        let id = nextNodeID
        let indexed = !propertyIndexes.isEmpty && labels.contains(where: { propertyIndexes[$0] != nil })
        // A constraint the node breaks is left to the public path, which
        // reports it or an error that comes first.
        let created = properties.count <= Self.maximumEncodedProperties && encoded.count == events.count
            && id.rawValue < UInt64.max
            && (!indexed || (try? checkUnique(node: id, labels: labels, properties: properties, "")) != nil)
            && createNodeFromEncoding(id: id, labels: labels, properties: properties, encoded: &encoded)
        guard created else { return try createNode(labels: labels, properties: properties, events: &events) }
        if indexed {
            for label in labels { indexProperties(of: id, label: label, properties) }
        }
        events.append(.createNode(id: id, labels: labels, properties: properties))
        return id
    }

    /// The most properties the encoded path takes, its key numbers kept on
    /// the stack; more take the public path.
    private static var maximumEncodedProperties: Int { 16 }

    /// Encodes the node's event into `encoded` and inserts the node, whose
    /// property bytes are copied from the event's; false (nothing changed)
    /// when a key has no number or a value nests too deep.
    private mutating func createNodeFromEncoding(
        id: NodeID, labels: Set<String>, properties: [String: PropertyValue], encoded: inout EncodedBatch
    ) -> Bool {
        let end = encoded.end
        let names = self.names
        guard let blob = Self.encodeNode(
            id: id, labels: labels, properties: properties, names: names, arena: &blobArena, into: &encoded)
        else { return false }
        // The next id is above every node's, so this never finds it taken;
        // if it did, the public path would name the error.
        guard insertNode(id: id.rawValue, labelSet: internLabelSet(labels), labels: labels, properties: blob) else {
            encoded.rollBack(to: end)
            return false
        }
        return true
    }

    /// Appends the `createNode` event to `encoded` and returns the record's
    /// property bytes, built from the event's; nil (nothing appended) when
    /// a key has no number in `names` or a value nests too deep.
    private static func encodeNode(
        id: NodeID, labels: Set<String>, properties: [String: PropertyValue], names: Names, arena: inout BlobArena,
        into encoded: inout EncodedBatch
    ) -> PropertyBlob? {
        properties.withSlotsSortedByName { sortedByName -> PropertyBlob? in
            var slots = sortedByName
            for index in slots.indices {
                if slots[index].value.isContainer, !slots[index].value.isWithinNestingLimit { return nil }
                guard let number = names.propertyKeys.id(of: slots[index].key) else { return nil }
                slots[index].number = number
            }
            // Sized first, then written with plain stores (`ByteWriter`).
            let size = 1 + MutationEvent.createNodeSize(id: id, labels: labels, properties: slots)
            var written = false
            let end = encoded.end
            encoded.append { buffer in
                written = buffer.appendWriting(size: size) { writer in
                    writer.appendByte(MutationEvent.codecVersion)
                    MutationEvent.appendCreateNode(id: id, labels: labels, properties: slots, to: &writer)
                }
            }
            // A size computed wrong: the public path encodes the event.
            guard written else {
                encoded.rollBack(to: end)
                return nil
            }
            // The record lists its properties by key number, the log by
            // name. Keys numbered together are numbered in name order, so
            // the two usually agree: checked first, which costs a few
            // comparisons where the sort's calls cost far more.
            if !slots.isSortedByNumber { slots.sort { $0.number < $1.number } }
            // The ranges are offsets into the whole batch.
            return encoded.bytes.withUnsafeBytes { bytes in
                PropertyBlob(valueRanges: slots.count, { (slots[$0].number, slots[$0].valueBytes) }, in: bytes, placing: &arena)
            }
        }
    }
}

extension UnsafeMutableBufferPointer where Element == PropertySlot {
    /// Whether the slots ascend by key number.
    fileprivate var isSortedByNumber: Bool {
        var index = 1
        while index < count {
            if self[index - 1].number > self[index].number { return false }
            index += 1
        }
        return true
    }
}
