import Testing

@testable import GraphStore

@Suite("Ordered id storage")
struct StorageTests {
    /// Ids that stress chunk boundaries: dense runs, chunk edges, and the ends of the id space.
    static func randomID(using rng: inout SeededGenerator) -> UInt64 {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return UInt64.random(in: 0..<600, using: &rng)
        case 1:
            return UInt64.random(in: 0..<8, using: &rng) * 64 + ([0, 63, 64, 255, 256].randomElement(using: &rng) ?? 0)
        case 2: return UInt64.max - UInt64.random(in: 0..<300, using: &rng)
        default: return rng.next()
        }
    }

    @Test("IDSet behaves like a sorted Set", arguments: [3, 4] as [UInt64])
    func idSetMatchesModel(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var set = IDSet()
        var model = Set<UInt64>()
        for _ in 0..<5000 {
            let id = Self.randomID(using: &rng)
            if Bool.random(using: &rng) {
                #expect(set.insert(id) == model.insert(id).inserted)
            } else {
                #expect(set.remove(id) == (model.remove(id) != nil))
            }
            #expect(set.contains(id) == model.contains(id))
        }
        let sorted = model.sorted()
        #expect(Array(set) == sorted)
        #expect(set.count == model.count)
        for _ in 0..<200 {
            let after = Self.randomID(using: &rng)
            #expect(Array(set.ids(after: after)) == sorted.filter { $0 > after })
        }
        #expect(Array(set.ids(after: UInt64.max)).isEmpty)
        #expect(set.words.allSatisfy { $0.value != 0 }, "no empty words are kept")
    }

    @Test("IDMap behaves like a sorted Dictionary", arguments: [5, 6] as [UInt64])
    func idMapMatchesModel(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var map = IDMap<Int>()
        var model: [UInt64: Int] = [:]
        for step in 0..<5000 {
            let id = Self.randomID(using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                let inserted = map.insert(step, for: id)
                #expect(inserted == (model[id] == nil))
                if inserted { model[id] = step }
            case 1:
                let updated = map.update(id) { value -> Int in
                    value += 1
                    return value
                }
                if let old = model[id] { model[id] = old + 1 }
                #expect(updated == model[id])
            default:
                #expect(map.remove(id) == model.removeValue(forKey: id))
            }
            #expect(map[id] == model[id])
        }
        let sorted = model.keys.sorted()
        #expect(map.map(\.id) == sorted)
        #expect(map.map(\.value) == sorted.map { model[$0] ?? -1 })
        #expect(map.count == model.count)
        #expect(map.lastID == sorted.last)
        for _ in 0..<200 {
            let after = Self.randomID(using: &rng)
            #expect(map.entries(after: after).map(\.id) == sorted.filter { $0 > after })
        }
    }

    @Test("a copy is a version: writes to one never show in the other", arguments: [7, 8] as [UInt64])
    func copiesAreIndependent(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var map = IDMap<Int>()
        var model: [UInt64: Int] = [:]
        var versions: [(IDMap<Int>, [UInt64: Int])] = []
        for step in 0..<3000 {
            let id = Self.randomID(using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                if map.insert(step, for: id) { model[id] = step }
            case 1:
                map.update(id) { $0 = step }
                if model[id] != nil { model[id] = step }
            default:
                map.remove(id)
                model[id] = nil
            }
            if step % 100 == 0 { versions.append((map, model)) }
        }
        for (version, expected) in versions {
            #expect(version.map(\.id) == expected.keys.sorted())
            #expect(version.map(\.value) == expected.keys.sorted().map { expected[$0] ?? -1 })
        }
    }

    @Test("a write to a copy allocates one path of the trie, not the map")
    func writesCopyOnePath() {
        var map = IDMap<Int>()
        for id in 0..<100_000 as Range<UInt64> { map.insert(Int(id), for: id) }
        var next = map
        next.insert(-1, for: 100_000)
        next.update(500) { $0 = -2 }
        // Two paths of at most `depth` nodes each: the root is on both.
        #expect(next.nodesNotShared(with: map) <= 2 * next.depth)
        #expect(map[500] == 500 && map[100_000] == nil)
        next.remove(77)
        #expect(next.nodesNotShared(with: map) <= 3 * next.depth)
        #expect(map[77] == 77)
        #expect(map.nodesNotShared(with: map) == 0)
    }

    @Test("maps built in different orders are equal")
    func canonicalEquality() {
        var forward = IDMap<Int>()
        var backward = IDMap<Int>()
        var set = IDSet()
        var other = IDSet()
        for id in 0..<1000 as Range<UInt64> {
            forward.insert(Int(id), for: id * 7)
            backward.insert(Int(999 - id), for: (999 - id) * 7)
            set.insert(id * 3)
            other.insert((999 - id) * 3)
        }
        #expect(forward == backward)
        #expect(set == other)
        forward.remove(14)
        #expect(forward != backward)
    }
}

@Suite("PropertyValue")
struct PropertyValueTests {
    @Test("equality is exact: bit patterns for doubles, no int/double mixing")
    func exactEquality() {
        #expect(PropertyValue.double(.nan) == .double(.nan))
        #expect(PropertyValue.double(SampleValues.nanWithPayload) != .double(.nan))
        #expect(PropertyValue.double(0.0) != .double(-0.0))
        #expect(PropertyValue.int(1) != .double(1))
        #expect(PropertyValue.list([]) != .map([:]))
        #expect(Set<PropertyValue>([.double(.nan), .double(.nan), .int(1)]).count == 2)
    }

    @Test("literals build the expected cases")
    func literals() {
        let value: PropertyValue = ["a": [1, 2.5, "x", true, nil], "b": [:]]
        #expect(
            value == .map(["a": .list([.int(1), .double(2.5), .string("x"), .bool(true), .null]), "b": .map([:])]))
    }

    @Test("nesting is measured in levels of lists and maps", arguments: [0, 1, 2, 63, 64, 65, 200])
    func nestingDepth(depth: Int) {
        #expect(SampleValues.nested(depth: depth).isWithinNestingLimit == (depth <= PropertyValue.maximumNestingDepth))
    }

    @Test("an empty container counts as one level")
    func emptyContainers() {
        var value: PropertyValue = .list([])
        for _ in 1..<PropertyValue.maximumNestingDepth { value = .list([value]) }
        #expect(value.isWithinNestingLimit)
        #expect(!PropertyValue.map(["k": value]).isWithinNestingLimit)
    }

    @Test("descriptions are deterministic and unambiguous")
    func descriptions() {
        let value: PropertyValue = ["z": .bytes([0, 15, 255]), "a": "tab\there \"q\" \u{1}", "m": -0.0]
        #expect(value.description == #"{"a": "tab\there \"q\" \u{1}", "m": -0.0, "z": 0x000fff}"#)
    }
}

/// `IDMap.AscendingBuilder` must give the map that inserting the same
/// entries gives: the same entries, lookups and later writes. (Not the
/// same trie: inserting in ascending order leaves the newest entries in
/// the map's tail run.)
@Suite("Building an id map in ascending order")
struct AscendingBuilderTests {
    static func idSets() -> [(String, [UInt64])] {
        var rng = SeededGenerator(seed: 77)
        var sparse: [UInt64] = []
        var next: UInt64 = 0
        for _ in 0..<3000 {
            next += UInt64.random(in: 1...5000, using: &rng)
            sparse.append(next)
        }
        var mixed: [UInt64] = Array(0..<40) + [1023, 1024, 1025] + Array(32_768..<33_000) + [1 << 40, (1 << 40) + 1]
        mixed += [UInt64.max - 70, UInt64.max - 3, UInt64.max - 1]
        return [
            ("empty", []), ("one", [0]), ("one large", [UInt64.max - 1]), ("a full leaf", Array(0..<32)),
            ("dense", Array(0..<50_000)), ("dense from 7", Array(7..<20_000)), ("sparse", sparse), ("mixed", mixed),
        ]
    }

    @Test("gives the entries, the height and the lookups of the inserted map", arguments: idSets())
    func sameAsInserting(_ name: String, _ ids: [UInt64]) {
        var inserted = IDMap<UInt64>()
        var builder = IDMap<UInt64>.AscendingBuilder()
        for id in ids {
            inserted.insert(id &* 3, for: id)
            let appended = builder.append(id &* 3, for: id)
            #expect(appended)
        }
        var built = builder.finish()
        #expect(built.count == ids.count, "\(name)")
        #expect(built == inserted, "\(name)")
        #expect(built.lastID == inserted.lastID, "\(name)")
        var rng = SeededGenerator(seed: UInt64(ids.count))
        for _ in 0..<200 {
            let probe = ids.isEmpty || Bool.random(using: &rng) ? UInt64.random(in: 0...UInt64.max, using: &rng) : ids[Int.random(in: 0..<ids.count, using: &rng)]
            #expect(built[probe] == inserted[probe], "\(name) at \(probe)")
            #expect(Array(built.entries(after: probe).prefix(5).map(\.id)) == Array(inserted.entries(after: probe).prefix(5).map(\.id)))
        }
        // The built map takes writes like any other.
        if let first = ids.first {
            built.remove(first)
            inserted.remove(first)
            built.insert(1, for: first)
            inserted.insert(1, for: first)
            #expect(built == inserted, "\(name) after writes")
        }
    }

    @Test("refuses an id not above the last one")
    func refusesDescending() {
        var builder = IDMap<Int>.AscendingBuilder()
        let results = [builder.append(1, for: 10), builder.append(2, for: 10), builder.append(3, for: 9), builder.append(4, for: 11)]
        #expect(results == [true, false, false, true])
        let built = builder.finish()
        #expect(Array(built.map(\.id)) == [10, 11])
    }
}
