import WriteAheadLog

@testable import GraphStore

/// A small, fast, seedable generator (SplitMix64) so randomized tests are
/// reproducible: the same seed gives the same workload on every platform.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension GraphStore {
    /// Everything that is wrong with the store's derived structures: the
    /// label index, adjacency lists and type counts are rebuilt from the
    /// nodes and relationships and compared, and the counters checked.
    func consistencyProblems() -> [String] {
        var problems: [String] = []
        var labels: [String: Set<UInt64>] = [:]
        var outgoing: [UInt64: [RelationshipID]] = [:]
        var incoming: [UInt64: [RelationshipID]] = [:]
        var types: [String: Int] = [:]
        for entry in nodeRecords {
            if entry.id >= nextNodeID.rawValue { problems.append("node \(entry.id) is not below the counter") }
            if !labelSets.contains(entry.value.labelSet) { problems.append("node \(entry.id) has an unknown label set") }
            for label in self.labels(entry.value) { labels[label, default: []].insert(entry.id) }
            entry.value.properties.forEach { (key: UInt32, _: PropertyValue) in
                if propertyKeys.name(key) == nil { problems.append("node \(entry.id) has an unknown key \(key)") }
            }
        }
        for entry in relationshipRecords {
            let relationship = self.relationship(entry.id, entry.value)
            if relationshipTypes.name(entry.value.type) == nil {
                problems.append("relationship \(entry.id) has an unknown type")
            }
            if entry.id >= nextRelationshipID.rawValue {
                problems.append("relationship \(entry.id) is not below the counter")
            }
            if !nodeRecords.contains(relationship.source.rawValue)
                || !nodeRecords.contains(relationship.target.rawValue)
            {
                problems.append("relationship \(entry.id) dangles")
            }
            outgoing[relationship.source.rawValue, default: []].append(relationship.id)
            incoming[relationship.target.rawValue, default: []].append(relationship.id)
            types[relationship.type, default: 0] += 1
        }
        let indexed = Dictionary(uniqueKeysWithValues: labelIndex.entries.map { ($0.label, Set($0.ids)) })
        if indexed != labels { problems.append("label index \(indexed) should be \(labels)") }
        if labelIndex.entries.contains(where: \.ids.isEmpty) { problems.append("label index keeps an empty set") }
        for set in labelIndex.entries.map(\.ids) where set.count != Array(set).count {
            problems.append("an IDSet count disagrees with its contents")
        }
        for (label, byKey) in propertyIndexes {
            if byKey.isEmpty { problems.append("property indexes keep an empty entry for \(label)") }
            for (key, index) in byKey {
                var expected: [PropertyValue: [UInt64]] = [:]
                for id in labels[label, default: []].sorted() {
                    guard let record = nodeRecords[id], let value = property(key, in: record.properties) else { continue }
                    expected[value, default: []].append(id)
                }
                // Each value's nodes among its hash's candidates, and no node more.
                for (value, ids) in expected {
                    let found = index.candidates(for: value).filter { propertyValue(of: $0, key) == value }
                    if found != ids { problems.append("index \(label).\(key) has \(found) for \(value), should have \(ids)") }
                }
                let held = expected.values.reduce(0) { $0 + $1.count }
                if index.nodeCount != held { problems.append("index \(label).\(key) holds \(index.nodeCount) nodes, should hold \(held)") }
                if index.shared.values.contains(where: { $0.count < 2 }) {
                    problems.append("index \(label).\(key) keeps a shared hash with fewer than two nodes")
                }
                if index.isUnique, expected.values.contains(where: { $0.count > 1 }) {
                    problems.append("unique index \(label).\(key) has a value shared by several nodes")
                }
            }
        }
        if types != Dictionary(uniqueKeysWithValues: relationshipTypeCounts.map { ($0.key, $0.value) }) {
            problems.append("type counts \(relationshipTypeCounts) should be \(types)")
        }
        for entry in nodeRecords {
            if Array(entry.value.outgoing) != outgoing[entry.id, default: []].map(\.rawValue) {
                problems.append("node \(entry.id) outgoing \(entry.value.outgoing)")
            }
            if Array(entry.value.incoming) != incoming[entry.id, default: []].map(\.rawValue) {
                problems.append("node \(entry.id) incoming \(entry.value.incoming)")
            }
        }
        return problems
    }
}

/// Values of every kind, including the awkward ones.
enum SampleValues {
    static let nanWithPayload = Double(bitPattern: 0x7FF0_0000_0000_0001)  // a signalling NaN
    static let negativeNaN = Double(bitPattern: 0xFFF8_0000_DEAD_BEEF)

    /// A value nested `depth` levels deep: lists in maps in lists, and so on.
    static func nested(depth: Int) -> PropertyValue {
        var value: PropertyValue = .int(1)
        for level in 0..<depth {
            value = level.isMultiple(of: 2) ? .list([value]) : .map(["k": value])
        }
        return value
    }

    static let all: [PropertyValue] = [
        .null, .bool(false), .bool(true),
        .int(0), .int(1), .int(-1), .int(63), .int(-64), .int(64), .int(Int64.max), .int(Int64.min),
        .double(0), .double(-0.0), .double(1.5), .double(.infinity), .double(-.infinity),
        .double(.greatestFiniteMagnitude), .double(.leastNonzeroMagnitude), .double(.nan),
        .double(nanWithPayload), .double(negativeNaN),
        .string(""), .string("plain"), .string("héllo wörld ✓ 𝄞 🧑‍🚀"), .string("e\u{301}"), .string("quote\"\n\0"),
        .string(String(repeating: "x", count: 300)),
        .bytes([]), .bytes([0, 1, 255]), .bytes(Array(repeating: 0xAB, count: 200)),
        .list([]), .map([:]), .list([.null, .int(2), .string("three"), .list([.bool(true)])]),
        .map(["a": .int(1), "": .null, "ñ": .map(["deep": .list([.double(2.5), .bytes([9])])])]),
        nested(depth: PropertyValue.maximumNestingDepth),
    ]

    /// A random value, up to `depth` levels of nesting.
    static func random(using rng: inout SeededGenerator, depth: Int = 3) -> PropertyValue {
        switch Int.random(in: 0..<(depth > 0 ? 10 : 7), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .int(Int64.random(in: Int64.min...Int64.max, using: &rng))
        case 3: return .double(Double(bitPattern: rng.next()))
        case 4: return .string(randomString(using: &rng))
        case 5:
            return .bytes((0..<Int.random(in: 0..<6, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        case 6: return .int(Int64.random(in: -3...3, using: &rng))
        case 7, 8:
            return .list((0..<Int.random(in: 0..<3, using: &rng)).map { _ in random(using: &rng, depth: depth - 1) })
        default:
            var map: [String: PropertyValue] = [:]
            for _ in 0..<Int.random(in: 0..<3, using: &rng) {
                map[randomString(using: &rng)] = random(using: &rng, depth: depth - 1)
            }
            return .map(map)
        }
    }

    static func randomString(using rng: inout SeededGenerator) -> String {
        let pieces = ["a", "b", "name", "é", "✓", "🧑‍🚀", " ", "key"]
        return (0..<Int.random(in: 0..<3, using: &rng)).map { _ in pieces.randomElement(using: &rng) ?? "" }.joined()
    }
}

/// One event of every kind, with the awkward values, for codec tables.
enum SampleEvents {
    static let all: [MutationEvent] = [
        .createNode(id: 0, labels: [], properties: [:]),
        .createNode(id: 7, labels: ["Person", "Émigré", ""], properties: ["name": "Ada", "age": 36, "pi": 3.14]),
        // Every sample value but the last, which is already at the nesting limit.
        .createNode(
            id: NodeID(UInt64.max - 1), labels: ["🧑‍🚀"], properties: ["all": .list(Array(SampleValues.all.dropLast()))]),
        .createRelationship(id: 0, type: "KNOWS", source: 0, target: 7, properties: [:]),
        .createRelationship(
            id: RelationshipID(1 << 40), type: "", source: 3, target: 3, properties: ["since": 1843, "w": nil]),
        .setNodeProperty(node: 1, key: "k", value: .null),
        .setNodeProperty(node: 2, key: "", value: SampleValues.nested(depth: PropertyValue.maximumNestingDepth)),
        .setNodeProperty(node: 300, key: "nan", value: .double(SampleValues.nanWithPayload)),
        .removeNodeProperty(node: 3, key: "gone"),
        .addNodeLabel(node: 4, label: "Admin"),
        .removeNodeLabel(node: 5, label: "Émigré"),
        .setRelationshipProperty(relationship: 6, key: "weight", value: .double(-0.0)),
        .setRelationshipProperty(relationship: RelationshipID(UInt64.max), key: "bytes", value: .bytes([0, 255])),
        .removeRelationshipProperty(relationship: 8, key: "weight"),
        .deleteRelationship(relationship: 9),
        .deleteNode(node: 10),
        .detachDeleteNode(node: NodeID(UInt64.max)),
        .clear,
        .annotation(name: "graph-server/idempotency-key", text: "{\"key\": \"k\"}"),
        .annotation(name: "", text: ""),
    ]
}

/// Encodes an event, which every sample can be.
func encode(_ event: MutationEvent) throws -> [UInt8] {
    try event.encoded()
}
