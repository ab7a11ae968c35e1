import Synchronization
import Testing
import WALTestSupport

@testable import GraphStore

/// Counts the values alive, to prove that every entry a tail run held
/// (claimed by a version since dropped, moved, removed) is freed once.
private final class LiveCount: Sendable {
    let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .acquiring) }
}

private final class Tracked: Sendable {
    let value: Int
    let live: LiveCount

    init(_ value: Int, _ live: LiveCount) {
        self.value = value
        self.live = live
        live.count.add(1, ordering: .relaxed)
    }

    deinit { live.count.subtract(1, ordering: .relaxed) }
}

/// Versions of an ``IDMap`` share its tail run and append to it in place;
/// these pin that no version ever sees another's appends or changes.
@Suite("Versions sharing an id map's tail")
struct TailRunTests {
    @Test("two copies appending after the same entries each keep their own")
    func siblingsAppend() {
        var base = IDMap<Int>()
        for id in 0..<10 as Range<UInt64> { base.insert(Int(id), for: id) }
        var left = base
        var right = base
        left.insert(100, for: 10)
        // The slot `left` claimed is taken: `right` continues in a copy.
        right.insert(200, for: 10)
        right.insert(201, for: 11)
        left.insert(101, for: 11)
        #expect(base.map(\.value) == Array(0..<10))
        #expect(left.map(\.value) == Array(0..<10) + [100, 101])
        #expect(right.map(\.value) == Array(0..<10) + [200, 201])
        #expect(base[10] == nil && left[10] == 100 && right[10] == 200)
        #expect(base.count == 10 && left.count == 12 && right.count == 12)
        #expect(base.lastID == 9 && left.lastID == 11)
    }

    @Test("what a dropped copy appended is neither seen nor leaked")
    func droppedCopyAppends() {
        let live = LiveCount()
        do {
            var committed = IDMap<Tracked>()
            for id in 0..<5 as Range<UInt64> { committed.insert(Tracked(Int(id), live), for: id) }
            do {
                // A transaction that is rolled back.
                var transaction = committed
                transaction.insert(Tracked(-1, live), for: 5)
                transaction.insert(Tracked(-2, live), for: 6)
            }
            #expect(live.value == 7, "the run still holds the dropped copy's entries")
            committed.insert(Tracked(5, live), for: 5)
            #expect(committed.map(\.value.value) == [0, 1, 2, 3, 4, 5])
            // Writing in place (this map holds the only reference) drops them.
            committed.update(2) { $0 = Tracked(20, live) }
            #expect(committed.map(\.value.value) == [0, 1, 20, 3, 4, 5])
            let removed = committed.remove(4)
            #expect(removed?.value == 4)
            #expect(committed.map(\.id) == [0, 1, 2, 3, 5])
        }
        #expect(live.value == 0)
    }

    @Test("a map holding the only reference to its run writes it in place")
    func uniqueRunInPlace() {
        var map = IDMap<Int>()
        for id in 0..<10 as Range<UInt64> { map.insert(Int(id), for: id) }
        let run = map.tailRunIdentity
        #expect(run != nil)
        map.update(5) { $0 = 50 }
        map.remove(7)
        map.insert(7, for: 7)
        #expect(map.tailRunIdentity == run, "no copy while the map is the run's only holder")
        var copy = map
        copy.update(5) { $0 = 500 }
        #expect(copy.tailRunIdentity != run && map.tailRunIdentity == run)
        #expect(map[5] == 50 && copy[5] == 500)
    }

    @Test("a run only its map holds gives its entries to the trie; a shared one keeps them")
    func movingFullRuns() {
        let live = LiveCount()
        do {
            // Built alone, as recovery builds: every full run is moved.
            var map = IDMap<Tracked>()
            for id in 0..<200 as Range<UInt64> { map.insert(Tracked(Int(id), live), for: id) }
            #expect(live.value == 200)
            #expect(map.map(\.value.value) == Array(0..<200))
            // Entries a dropped copy appended are freed, not handed over,
            // whichever run the map goes on in.
            do {
                var transaction = map
                for id in 200..<203 as Range<UInt64> { transaction.insert(Tracked(-1, live), for: id) }
            }
            for id in 200..<300 as Range<UInt64> { map.insert(Tracked(Int(id), live), for: id) }
            #expect(live.value == 300)
            #expect(map.map(\.value.value) == Array(0..<300))
            // A version holding the run while another moves it keeps every entry.
            let kept = map
            for id in 300..<400 as Range<UInt64> { map.insert(Tracked(Int(id), live), for: id) }
            #expect(kept.map(\.value.value) == Array(0..<300))
            #expect(map.map(\.value.value) == Array(0..<400))
            #expect(live.value == 400)
        }
        #expect(live.value == 0)
    }

    @Test("a write to a shared tail copies the tail, not the trie")
    func sharedTailWrites() {
        var map = IDMap<Int>()
        for id in 0..<1000 as Range<UInt64> { map.insert(Int(id), for: id) }
        var next = map
        // Appends within the run allocate nothing.
        next.insert(1000, for: 1000)
        #expect(next.nodesNotShared(with: map) == 0)
        // Changing an entry of the shared run copies the run alone.
        next.update(999) { $0 = -1 }
        #expect(next.nodesNotShared(with: map) == 1)
        #expect(map[999] == 999 && next[999] == -1 && map[1000] == nil)
        // Appending past a full run moves it into the trie: one path.
        for id in 1001..<1100 as Range<UInt64> { next.insert(Int(id), for: id) }
        #expect(next.count == 1100 && map.count == 1000)
        #expect(next.map(\.id) == Array(0..<1100))
    }

    @Test("random writes to random versions: each keeps what was written to it", arguments: [21, 22, 23] as [UInt64])
    func forkedVersions(seed: UInt64) {
        let live = LiveCount()
        do {
            var rng = SeededGenerator(seed: seed)
            var versions: [(map: IDMap<Tracked>, model: [UInt64: Int])] = [(IDMap(), [:])]
            for step in 0..<6000 {
                var (map, model) = versions[Int.random(in: 0..<versions.count, using: &rng)]
                let highest = model.keys.max()
                let existing = model.keys.randomElement(using: &rng)
                let id: UInt64
                switch Int.random(in: 0..<20, using: &rng) {
                case 0..<11:
                    // Mostly the next id, sometimes past a gap.
                    id = highest.map { $0 + 1 + UInt64.random(in: 0..<3, using: &rng) } ?? 0
                    let appended = map.insert(Tracked(step, live), for: id)
                    #expect(appended)
                    model[id] = step
                case 11..<14:
                    id = existing ?? 0
                    map.update(id) { $0 = Tracked(step, live) }
                    if model[id] != nil { model[id] = step }
                case 14..<17:
                    id = existing ?? 0
                    let removed = map.remove(id)
                    #expect(removed?.value == model.removeValue(forKey: id))
                default:
                    // Anywhere below the highest: in the tail or in the trie.
                    id = UInt64.random(in: 0...(highest ?? 0) + 1, using: &rng)
                    let inserted = map.insert(Tracked(step, live), for: id)
                    #expect(inserted == (model[id] == nil))
                    if inserted { model[id] = step }
                }
                #expect(map[id]?.value == model[id])
                if versions.count < 24 && Bool.random(using: &rng) {
                    versions.append((map, model))
                } else {
                    versions[Int.random(in: 0..<versions.count, using: &rng)] = (map, model)
                }
            }
            for (map, model) in versions {
                let ids = model.keys.sorted()
                #expect(map.map(\.id) == ids)
                #expect(map.map(\.value.value) == ids.map { model[$0] ?? -1 })
                #expect(map.count == model.count)
                #expect(map.lastID == ids.last)
                for after in ids.suffix(40) {
                    #expect(map.entries(after: after).map(\.id) == ids.filter { $0 > after })
                }
            }
        }
        #expect(live.value == 0)
    }

    @Test("random writes to random versions of an id set", arguments: [31, 32] as [UInt64])
    func forkedSets(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        var versions: [(set: IDSet, model: Set<UInt64>)] = [(IDSet(), [])]
        for _ in 0..<8000 {
            var (set, model) = versions[Int.random(in: 0..<versions.count, using: &rng)]
            let highest = model.max() ?? 0
            let id: UInt64
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<6: id = highest + UInt64.random(in: 1..<100, using: &rng)
            case 6..<8: id = model.randomElement(using: &rng) ?? 0
            default: id = UInt64.random(in: 0...highest + 1, using: &rng)
            }
            if Int.random(in: 0..<4, using: &rng) == 0 {
                let removed = set.remove(id)
                #expect(removed == (model.remove(id) != nil))
            } else {
                let inserted = set.insert(id)
                #expect(inserted == model.insert(id).inserted)
            }
            #expect(set.contains(id) == model.contains(id))
            if versions.count < 16 && Bool.random(using: &rng) {
                versions.append((set, model))
            } else {
                versions[Int.random(in: 0..<versions.count, using: &rng)] = (set, model)
            }
        }
        for (set, model) in versions {
            let sorted = model.sorted()
            #expect(Array(set) == sorted)
            #expect(set.count == model.count)
            for after in sorted.suffix(20) { #expect(Array(set.ids(after: after)) == sorted.filter { $0 > after }) }
            var rebuilt = IDSet()
            for id in sorted.reversed() { rebuilt.insert(id) }
            #expect(rebuilt == set)
            #expect(set.union(IDSet()) == set && IDSet().union(set) == set)
        }
    }

    /// What entry `id` holds in the version of `count` entries of the
    /// test below: `3 · id`, plus one once the entry after it is in.
    static func value(of id: UInt64, inVersionOf count: UInt64) -> UInt64 {
        (id + 1) % 11 == 0 && id + 1 < count ? id &* 3 + 1 : id &* 3
    }

    /// The store's use: one writer appends and publishes versions under a
    /// lock; readers take the newest and read it whole while the writer
    /// appends to the run they share. A reader must always find exactly
    /// the entries of its version.
    @Test("readers of published versions never see a later append")
    func readersWhileAppending() {
        let published = Mutex(IDMap<UInt64>())
        let mismatches = Mutex<[String]>([])
        let versionsRead = Atomic<Int>(0)
        let readers = RepeatingThreads(count: 2) {
            let version = published.withLock { $0 }
            let count = UInt64(version.count)
            guard count > 0 else { return }
            versionsRead.add(1, ordering: .relaxed)
            var expected = count > 40 ? count - 40 : 0
            for entry in version.entries(after: expected == 0 ? nil : expected - 1) {
                if entry.id != expected || entry.value != Self.value(of: expected, inVersionOf: count) {
                    mismatches.withLock { $0.append("version of \(count): \(entry.id) = \(entry.value), expected \(expected)") }
                    break
                }
                expected += 1
            }
            if expected != count || version[count] != nil || version.lastID != count - 1 {
                mismatches.withLock { $0.append("version of \(count) ends at \(expected), lastID \(String(describing: version.lastID))") }
            }
        }
        var map = IDMap<UInt64>()
        var id: UInt64 = 0
        // At least 60,000 appends, and on until the readers have read a
        // thousand versions (bounded, should they never get to run).
        while id < 60_000 || (versionsRead.load(ordering: .relaxed) < 1000 && id < 20_000_000) {
            if id % 7 == 0 {
                // A transaction rolled back after appending.
                var abandoned = map
                abandoned.insert(.max, for: id)
            }
            map.insert(id &* 3, for: id)
            // Changing an entry older versions hold must not show in them.
            if id % 11 == 0, id > 0 { map.update(id - 1) { $0 += 1 } }
            published.withLock { $0 = map }
            id += 1
        }
        readers.stop()
        #expect(mismatches.withLock { $0 }.isEmpty)
        #expect(versionsRead.load(ordering: .relaxed) > 0)
    }
}
