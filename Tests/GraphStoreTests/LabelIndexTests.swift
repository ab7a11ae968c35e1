import Testing
import WALTestSupport

@testable import GraphStore

/// The label index keeps the label written last outside its trie; these
/// pin that what it holds is the same whichever label that is, and that
/// versions (copies) never see each other's writes.
@Suite("Label index")
struct LabelIndexTests {
    /// What the index should hold.
    private typealias Model = [String: Set<UInt64>]

    private func expectMatches(_ index: LabelIndex, _ model: Model, _ comment: Comment? = nil) {
        let held = Dictionary(uniqueKeysWithValues: index.entries.map { ($0.label, Set($0.ids)) })
        #expect(held == model.filter { !$0.value.isEmpty }, comment)
        #expect(index.count == model.values.filter { !$0.isEmpty }.count, comment)
        for (label, ids) in model {
            #expect(index[label].map { Set($0) } == (ids.isEmpty ? nil : ids), comment)
        }
        #expect(!index.entries.contains { $0.ids.isEmpty }, "no empty set is kept")
    }

    @Test("a run of one label is held outside the trie; labels in turn are not")
    func holding() {
        var index = LabelIndex()
        index.insert(0, label: "A")
        #expect(index.heldLabel == nil, "one write is not a run")
        index.insert(1, label: "A")
        #expect(index.heldLabel == "A")
        for id in 2..<100 as Range<UInt64> { index.insert(id, label: "A") }
        #expect(index.heldLabel == "A")
        for id in 100..<110 as Range<UInt64> { index.insert(id, label: id % 2 == 0 ? "B" : "C") }
        #expect(index.heldLabel == "A", "labels written in turn leave the held one alone")
        index.insert(110, label: "B")
        index.insert(111, label: "B")
        #expect(index.heldLabel == "B")
        expectMatches(
            index,
            ["A": Set(0..<100), "B": Set(stride(from: 100, to: 110, by: 2)).union([110, 111]), "C": Set(stride(from: 101, to: 110, by: 2))])
    }

    @Test("two labels written in turn leave the held one in place")
    func twoLabelsInTurn() {
        var index = LabelIndex()
        for id in 0..<2 as Range<UInt64> { index.insert(id, label: "A") }
        for id in 2..<100 as Range<UInt64> {
            index.insert(id, label: id % 2 == 0 ? "B" : "A")
            #expect(index.heldLabel == "A", "after \(id)")
        }
        expectMatches(index, ["A": Set([0, 1]).union(stride(from: 3, to: 100, by: 2)), "B": Set(stride(from: 2, to: 100, by: 2))])
    }

    @Test("removing the held label's last id drops the label")
    func emptyingTheHeldLabel() {
        var index = LabelIndex()
        for id in 0..<3 as Range<UInt64> { index.insert(id, label: "A") }
        index.insert(3, label: "B")
        #expect(index.heldLabel == "A")
        for id in 0..<3 as Range<UInt64> { index.remove(id, label: "A") }
        #expect(index.heldLabel == nil)
        expectMatches(index, ["A": [], "B": [3]])
        index.remove(3, label: "B")
        index.remove(9, label: "Z")
        expectMatches(index, [:])
        #expect(index == LabelIndex())
    }

    @Test("unions land in the held set or the trie alike")
    func unions() {
        var index = LabelIndex()
        for id in 0..<2 as Range<UInt64> { index.insert(id, label: "A") }
        var extra = IDSet()
        for id in [5, 70, 700] as [UInt64] { extra.insert(id) }
        index.formUnion(extra, label: "A")
        index.formUnion(extra, label: "B")
        index.formUnion(IDSet(), label: "C")
        expectMatches(index, ["A": [0, 1, 5, 70, 700], "B": [5, 70, 700], "C": []])
    }

    @Test("equal contents are equal, whichever label is held")
    func equality() {
        var held = LabelIndex()
        var plain = LabelIndex()
        for id in 0..<10 as Range<UInt64> {
            held.insert(id, label: "A")
            plain.insert(id, label: id % 2 == 0 ? "A" : "A2")
        }
        #expect(held.heldLabel == "A" && plain.heldLabel == nil)
        #expect(held != plain)
        for id in stride(from: 1, to: 10, by: 2) as StrideTo<UInt64> {
            plain.remove(id, label: "A2")
            plain.insert(id, label: "A")
        }
        #expect(held == plain)
    }

    @Test("random writes to random versions: each keeps what was written to it", arguments: [41, 42, 43] as [UInt64])
    func versions(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let labels = ["A", "B", "C", "Person", String(repeating: "long-label-", count: 4)]
        var versions: [(index: LabelIndex, model: Model)] = [(LabelIndex(), [:])]
        var nextID: UInt64 = 0
        for step in 0..<4000 {
            // Mostly the newest version, as transactions do; sometimes an
            // older one (a rolled-back or concurrent copy).
            let pick = Int.random(in: 0..<10, using: &rng) < 8 ? versions.count - 1 : Int.random(in: 0..<versions.count, using: &rng)
            var (index, model) = versions[pick]
            // Runs of one label, and labels in turn.
            let label = labels[Int.random(in: 0..<(step % 200 < 100 ? 2 : labels.count), using: &rng)]
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<7:
                index.insert(nextID, label: label)
                model[label, default: []].insert(nextID)
                nextID += 1
            case 7..<9:
                guard let victim = model[label]?.randomElement(using: &rng) else { break }
                index.remove(victim, label: label)
                model[label]?.remove(victim)
            default:
                if Int.random(in: 0..<50, using: &rng) == 0 {
                    index.removeAll()
                    model = [:]
                }
            }
            versions.append((index, model))
            if versions.count > 30 { versions.removeFirst() }
        }
        for (index, model) in versions { expectMatches(index, model) }
    }

    @Test("a store creating and deleting nodes keeps its label index consistent")
    func throughTheStore() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        var rng = SeededGenerator(seed: 7)
        let sets: [Set<String>] = [["A"], ["A"], ["A", "B"], ["B"], [], ["C"]]
        var created: [NodeID] = []
        for number in 0..<2000 {
            let labels = number % 300 < 150 ? ["Person"] : sets[Int.random(in: 0..<sets.count, using: &rng)]
            let committed = store
            created.append(try store.createNode(labels: labels, events: &events))
            if Int.random(in: 0..<5, using: &rng) == 0, let victim = created.randomElement(using: &rng), store.node(victim) != nil {
                try store.deleteNode(victim, events: &events)
            }
            // The version before the write is untouched by it.
            #expect(committed.consistencyProblems() == [])
        }
        #expect(store.consistencyProblems() == [])
        let (loaded, _) = try GraphStore.decodeSnapshot(store.snapshotBytes())
        #expect(loaded.labelIndex == store.labelIndex)
        #expect(loaded.stats == store.stats)
        #expect(loaded.labels == store.labels)
    }
}
