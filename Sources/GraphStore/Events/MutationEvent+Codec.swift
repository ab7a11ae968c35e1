import WriteAheadLog

/// The binary form of an event: a codec version byte, a tag, then the fields.
///
/// ```
/// u8 version   1
/// u8 tag       then fields (varint, string, labels, props, value: see BinaryWriting.swift)
///   1  createNode                  varint id, labels, props
///   2  createRelationship          varint id, string type, varint source, varint target, props
///   3  setNodeProperty             varint node, string key, value
///   4  removeNodeProperty          varint node, string key
///   5  addNodeLabel                varint node, string label
///   6  removeNodeLabel             varint node, string label
///   7  setRelationshipProperty     varint relationship, string key, value
///   8  removeRelationshipProperty  varint relationship, string key
///   9  deleteRelationship          varint relationship
///  10  deleteNode                  varint node
///  11  detachDeleteNode            varint node
///  12  clear                       (nothing)
///  13  createIndex                 string label, string key, u8 unique (0 or 1)
///  14  dropIndex                   string label, string key
/// 255  annotation                  string name, string text
/// ```
///
/// `annotation` takes the last tag, away from the graph's own events, so
/// new graph events keep the next free numbers after 14.
///
/// The version byte comes first so a later build can change any field and
/// still read logs written by this one; this build refuses versions it does
/// not know rather than guess.
extension MutationEvent: WALEvent {
    /// The codec version this build writes and reads.
    public static let codecVersion: UInt8 = 1

    enum Tag: UInt8 {
        case createNode = 1
        case createRelationship = 2
        case setNodeProperty = 3
        case removeNodeProperty = 4
        case addNodeLabel = 5
        case removeNodeLabel = 6
        case setRelationshipProperty = 7
        case removeRelationshipProperty = 8
        case deleteRelationship = 9
        case deleteNode = 10
        case detachDeleteNode = 11
        case clear = 12
        case createIndex = 13
        case dropIndex = 14
        case annotation = 255
    }

    /// Appends the event's bytes to `buffer`.
    ///
    /// Throws `eventEncoding` (and leaves `buffer` as it was) when a property
    /// value nests deeper than ``PropertyValue/maximumNestingDepth``, which
    /// only an event built by hand can do: the store refuses such values.
    public func encode(into buffer: inout [UInt8]) throws(WALError) {
        try checkNestingLimit()
        buffer.append(Self.codecVersion)
        switch self {
        case .createNode(let id, let labels, let properties):
            properties.withSlotsSortedByName { Self.appendCreateNode(id: id, labels: labels, properties: $0, to: &buffer) }
        case .createRelationship(let id, let type, let source, let target, let properties):
            buffer.append(Tag.createRelationship.rawValue)
            buffer.appendVarint(id.rawValue)
            buffer.appendVarString(type)
            buffer.appendVarint(source.rawValue)
            buffer.appendVarint(target.rawValue)
            buffer.appendProperties(properties)
        case .setNodeProperty(let node, let key, let value):
            buffer.append(Tag.setNodeProperty.rawValue)
            buffer.appendVarint(node.rawValue)
            buffer.appendVarString(key)
            buffer.appendValue(value)
        case .removeNodeProperty(let node, let key):
            buffer.append(Tag.removeNodeProperty.rawValue)
            buffer.appendVarint(node.rawValue)
            buffer.appendVarString(key)
        case .addNodeLabel(let node, let label):
            buffer.append(Tag.addNodeLabel.rawValue)
            buffer.appendVarint(node.rawValue)
            buffer.appendVarString(label)
        case .removeNodeLabel(let node, let label):
            buffer.append(Tag.removeNodeLabel.rawValue)
            buffer.appendVarint(node.rawValue)
            buffer.appendVarString(label)
        case .setRelationshipProperty(let relationship, let key, let value):
            buffer.append(Tag.setRelationshipProperty.rawValue)
            buffer.appendVarint(relationship.rawValue)
            buffer.appendVarString(key)
            buffer.appendValue(value)
        case .removeRelationshipProperty(let relationship, let key):
            buffer.append(Tag.removeRelationshipProperty.rawValue)
            buffer.appendVarint(relationship.rawValue)
            buffer.appendVarString(key)
        case .deleteRelationship(let relationship):
            buffer.append(Tag.deleteRelationship.rawValue)
            buffer.appendVarint(relationship.rawValue)
        case .deleteNode(let node):
            buffer.append(Tag.deleteNode.rawValue)
            buffer.appendVarint(node.rawValue)
        case .detachDeleteNode(let node):
            buffer.append(Tag.detachDeleteNode.rawValue)
            buffer.appendVarint(node.rawValue)
        case .clear:
            buffer.append(Tag.clear.rawValue)
        case .createIndex(let label, let key, let unique):
            buffer.append(Tag.createIndex.rawValue)
            buffer.appendVarString(label)
            buffer.appendVarString(key)
            buffer.append(unique ? 1 : 0)
        case .dropIndex(let label, let key):
            buffer.append(Tag.dropIndex.rawValue)
            buffer.appendVarString(label)
            buffer.appendVarString(key)
        case .annotation(let name, let text):
            buffer.append(Tag.annotation.rawValue)
            buffer.appendVarString(name)
            buffer.appendVarString(text)
        }
    }

    /// Appends a `createNode` event's tag and fields (the version byte
    /// goes before them), its properties sorted by name, noting in each
    /// slot where its value landed.
    @inline(__always)
    static func appendCreateNode(
        id: NodeID, labels: Set<String>, properties: UnsafeMutableBufferPointer<PropertySlot>, to buffer: inout some ByteSink
    ) {
        buffer.appendByte(Tag.createNode.rawValue)
        buffer.appendVarint(id.rawValue)
        buffer.appendLabels(labels)
        buffer.appendProperties(sorted: properties)
    }

    /// The bytes ``appendCreateNode(id:labels:properties:to:)`` writes.
    static func createNodeSize(id: NodeID, labels: Set<String>, properties: UnsafeMutableBufferPointer<PropertySlot>) -> Int {
        var size = 1 + varintSize(id.rawValue) + varintSize(UInt64(labels.count)) + varintSize(UInt64(properties.count))
        for label in labels { size += encodedStringSize(label) }
        for index in properties.indices {
            size += encodedStringSize(properties[index].key) + properties[index].value.encodedSize
        }
        return size
    }

    /// Reads one event from all the bytes `reader` has left (the log hands
    /// over exactly one event's bytes), or throws `eventDecoding` naming the
    /// field and byte that are wrong: truncation, unknown version or tag,
    /// invalid UTF-8, a length larger than the bytes left, a repeated key or
    /// label, nesting beyond the limit, or bytes left over after the event.
    public init(from reader: inout ByteReader) throws(WALError) {
        // ByteReader's closures throw untyped errors on the WAL core this
        // branch builds on; the only error the closure throws is a WALError.
        do {
            self = try reader.withRemainingBytes { bytes throws(WALError) in
                var inner = BinaryReader(bytes)
                return try MutationEvent.decodeWhole(&inner)
            }
        } catch let error as WALError {
            throw error
        } catch {
            throw WALError(.eventDecoding, "\(error)")
        }
    }

    /// Decodes an event that must use every byte of `reader`.
    static func decodeWhole(_ reader: inout BinaryReader) throws(WALError) -> MutationEvent {
        let event = try MutationEvent(decoding: &reader)
        guard reader.isAtEnd else {
            throw WALError(
                .eventDecoding,
                "\(reader.remaining) bytes left over after a \(event.name) event of \(reader.position) bytes")
        }
        return event
    }

    private init(decoding reader: inout BinaryReader) throws(WALError) {
        guard !reader.isAtEnd else {
            throw WALError(.eventDecoding, "a MutationEvent needs at least 2 bytes, found none")
        }
        let version = try reader.readByte("codec version")
        guard version == Self.codecVersion else {
            throw WALError(
                .eventDecoding,
                "MutationEvent codec version \(version) is not supported (this build reads version \(Self.codecVersion))"
            )
        }
        guard !reader.isAtEnd else {
            throw WALError(.eventDecoding, "the MutationEvent ends after its version byte, before its tag")
        }
        let rawTag = try reader.readByte("tag")
        guard let tag = Tag(rawValue: rawTag) else {
            throw WALError(.eventDecoding, "unknown MutationEvent tag \(rawTag) at byte 1")
        }
        switch tag {
        case .createNode:
            self = .createNode(
                id: NodeID(try reader.readVarint("createNode id")),
                labels: try reader.readLabels("createNode labels"),
                properties: try reader.readProperties("createNode properties"))
        case .createRelationship:
            self = .createRelationship(
                id: RelationshipID(try reader.readVarint("createRelationship id")),
                type: try reader.readVarString("createRelationship type"),
                source: NodeID(try reader.readVarint("createRelationship source")),
                target: NodeID(try reader.readVarint("createRelationship target")),
                properties: try reader.readProperties("createRelationship properties"))
        case .setNodeProperty:
            self = .setNodeProperty(
                node: NodeID(try reader.readVarint("setNodeProperty node")),
                key: try reader.readVarString("setNodeProperty key"),
                value: try reader.readValue("setNodeProperty value"))
        case .removeNodeProperty:
            self = .removeNodeProperty(
                node: NodeID(try reader.readVarint("removeNodeProperty node")),
                key: try reader.readVarString("removeNodeProperty key"))
        case .addNodeLabel:
            self = .addNodeLabel(
                node: NodeID(try reader.readVarint("addNodeLabel node")),
                label: try reader.readVarString("addNodeLabel label"))
        case .removeNodeLabel:
            self = .removeNodeLabel(
                node: NodeID(try reader.readVarint("removeNodeLabel node")),
                label: try reader.readVarString("removeNodeLabel label"))
        case .setRelationshipProperty:
            self = .setRelationshipProperty(
                relationship: RelationshipID(try reader.readVarint("setRelationshipProperty relationship")),
                key: try reader.readVarString("setRelationshipProperty key"),
                value: try reader.readValue("setRelationshipProperty value"))
        case .removeRelationshipProperty:
            self = .removeRelationshipProperty(
                relationship: RelationshipID(try reader.readVarint("removeRelationshipProperty relationship")),
                key: try reader.readVarString("removeRelationshipProperty key"))
        case .deleteRelationship:
            self = .deleteRelationship(
                relationship: RelationshipID(try reader.readVarint("deleteRelationship relationship")))
        case .deleteNode:
            self = .deleteNode(node: NodeID(try reader.readVarint("deleteNode node")))
        case .detachDeleteNode:
            self = .detachDeleteNode(node: NodeID(try reader.readVarint("detachDeleteNode node")))
        case .clear:
            self = .clear
        case .createIndex:
            let label = try reader.readVarString("createIndex label")
            let key = try reader.readVarString("createIndex key")
            let unique = try reader.readByte("createIndex unique")
            guard unique <= 1 else {
                throw WALError(.eventDecoding, "createIndex unique flag is \(unique), not 0 or 1")
            }
            self = .createIndex(label: label, key: key, unique: unique == 1)
        case .dropIndex:
            self = .dropIndex(
                label: try reader.readVarString("dropIndex label"), key: try reader.readVarString("dropIndex key"))
        case .annotation:
            self = .annotation(
                name: try reader.readVarString("annotation name"), text: try reader.readVarString("annotation text"))
        }
    }

    /// The event's bytes, as ``encode(into:)`` writes them.
    public func encoded() throws(WALError) -> [UInt8] {
        var buffer: [UInt8] = []
        try encode(into: &buffer)
        return buffer
    }

    /// Decodes one event that must fill `bytes` exactly, as the log hands it
    /// over; bytes left over are an `eventDecoding` error.
    public static func decode(_ bytes: [UInt8]) throws(WALError) -> MutationEvent {
        try withReader(over: bytes) { reader throws(WALError) in try decodeWhole(&reader) }
    }

    /// The first property value the event carries that nests deeper than
    /// the limit, with its key; nil for almost every event. Scalars are
    /// skipped without a call: this runs on every event applied.
    var firstValueTooDeep: (key: String, value: PropertyValue)? {
        func tooDeep(_ value: PropertyValue) -> Bool {
            switch value {
            case .list, .map: !value.isWithinNestingLimit
            default: false
            }
        }
        switch self {
        case .createNode(_, _, let properties), .createRelationship(_, _, _, _, let properties):
            for (key, value) in properties where tooDeep(value) { return (key, value) }
            return nil
        case .setNodeProperty(_, let key, let value), .setRelationshipProperty(_, let key, let value):
            return tooDeep(value) ? (key, value) : nil
        default:
            return nil
        }
    }

    private func checkNestingLimit() throws(WALError) {
        guard let (key, _) = firstValueTooDeep else { return }
        throw WALError(
            .eventEncoding,
            "the value of property \(quoted(key)) in a \(name) event nests deeper than \(PropertyValue.maximumNestingDepth) levels"
        )
    }
}
