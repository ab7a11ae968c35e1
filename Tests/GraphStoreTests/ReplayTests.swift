import Testing
import WriteAheadLog

@testable import GraphStore

/// Drives a store with random mutations (some aimed at missing entities) and
/// records what a database layer would: the emitted events.
struct RandomWorkload {
    var rng: SeededGenerator
    var store = GraphStore()
    var events: [MutationEvent] = []
    /// Store states taken along the way, with the number of events up to each.
    var checkpoints: [(store: GraphStore, eventCount: Int, dump: String)] = []
    var refusals = 0
    /// With a batch, node creations take the encoded path, as a write
    /// transaction's do: the events other mutations emitted are encoded
    /// first, then the creation adds its own.
    var encoded: EncodedBatch?
    /// How many creations the encoded path took itself (the rest fell back).
    var encodedCreations = 0

    /// Whether the run starts with a unique index on (`A`, `name`) and a
    /// plain one on (`B`, `age`), so that every mutation also keeps
    /// indexes up to date, and some are refused by the constraint.
    let withIndexes: Bool

    init(seed: UInt64, encodesCreations: Bool = false, withIndexes: Bool = false) {
        rng = SeededGenerator(seed: seed)
        if encodesCreations { encoded = EncodedBatch() }
        self.withIndexes = withIndexes
    }

    mutating func createNode(labels: Set<String>, properties: [String: PropertyValue]) throws {
        guard var batch = encoded else {
            try store.createNode(labels: labels, properties: properties, events: &events)
            return
        }
        while batch.count < events.count { try batch.append(events[batch.count]) }
        encoded = batch
        try store.createNode(labels: labels, properties: properties, events: &events, encoded: &batch)
        if batch.count > encoded?.count ?? 0 { encodedCreations += 1 }
        encoded = batch
    }

    /// Mostly a live node (the first at or above a random id), sometimes any id, live or not.
    mutating func randomNode() -> NodeID {
        let id = UInt64.random(in: 0...store.nextNodeID.rawValue, using: &rng)
        guard Int.random(in: 0..<10, using: &rng) > 0 else { return NodeID(id) }
        let page = store.nodes(limit: 1, after: id == 0 ? nil : NodeID(id - 1))
        return page.items.first?.id ?? NodeID(id)
    }

    /// Mostly a live relationship, sometimes any id.
    mutating func randomRelationship() -> RelationshipID {
        let id = UInt64.random(in: 0...store.nextRelationshipID.rawValue, using: &rng)
        guard Int.random(in: 0..<10, using: &rng) > 0 else { return RelationshipID(id) }
        let page = store.relationships(limit: 1, after: id == 0 ? nil : RelationshipID(id - 1))
        return page.items.first?.id ?? RelationshipID(id)
    }

    mutating func randomLabels() -> Set<String> {
        Set(["A", "B", "C", "Ünïcode"].filter { _ in Int.random(in: 0..<3, using: &rng) == 0 })
    }

    mutating func randomProperties() -> [String: PropertyValue] {
        var properties: [String: PropertyValue] = [:]
        for _ in 0..<Int.random(in: 0..<3, using: &rng) { properties[randomKey()] = randomValue() }
        return properties
    }

    mutating func randomKey() -> String { ["name", "age", "k", "é"].randomElement(using: &rng) ?? "k" }
    mutating func randomValue() -> PropertyValue { SampleValues.random(using: &rng) }
    mutating func randomLabel() -> String { ["A", "B", "C", "Ünïcode"].randomElement(using: &rng) ?? "A" }
    mutating func randomType() -> String { ["KNOWS", "LIKES", ""].randomElement(using: &rng) ?? "" }

    /// One random mutation; a refused one must leave store and events untouched.
    mutating func step() throws {
        // The batch catches up with the events before the step, so that a
        // refused step is seen to leave it as it was.
        if var batch = encoded {
            while batch.count < events.count { try batch.append(events[batch.count]) }
            encoded = batch
        }
        let before = store
        let eventCount = events.count
        let batchBefore = encoded
        do {
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<20:
                try createNode(labels: randomLabels(), properties: randomProperties())
            case 20..<40:
                try store.createRelationship(
                    type: randomType(), from: randomNode(), to: randomNode(), properties: randomProperties(),
                    events: &events)
            case 40..<50:
                try store.setNodeProperty(randomNode(), key: randomKey(), value: randomValue(), events: &events)
            case 50..<55: try store.removeNodeProperty(randomNode(), key: randomKey(), events: &events)
            case 55..<60: try store.addNodeLabel(randomNode(), label: randomLabel(), events: &events)
            case 60..<65: try store.removeNodeLabel(randomNode(), label: randomLabel(), events: &events)
            case 65..<72:
                try store.setRelationshipProperty(
                    randomRelationship(), key: randomKey(), value: randomValue(), events: &events)
            case 72..<76: try store.removeRelationshipProperty(randomRelationship(), key: randomKey(), events: &events)
            case 76..<81: try store.deleteRelationship(randomRelationship(), events: &events)
            case 81..<94: try store.deleteNode(randomNode(), events: &events)
            case 94..<97: try store.detachDeleteNode(randomNode(), events: &events)
            default:
                try store.addNodeLabel(randomNode(), label: randomLabel(), events: &events)
            }
        } catch {
            refusals += 1
            #expect(store == before, "refused \(error) but changed the store")
            #expect(events.count == eventCount, "refused \(error) but emitted")
            #expect(encoded?.bytes == batchBefore?.bytes, "refused \(error) but encoded")
        }
    }

    mutating func run(steps: Int) throws {
        if withIndexes {
            try store.createIndex(label: "A", key: "name", unique: true, events: &events)
            try store.createIndex(label: "B", key: "age", unique: false, events: &events)
        }
        for index in 0..<steps {
            // One clear, early, so that ids past a clear are replayed too.
            if index == steps / 5 { store.clear(events: &events) } else { try step() }
            if index % 500 == 0 { checkpoints.append((store, events.count, store.dump())) }
        }
    }
}

@Suite("Replay")
struct ReplayTests {
    @Test(
        "replaying the emitted events through the codec rebuilds an equal store",
        arguments: [1, 42, 2024] as [UInt64], [false, true])
    func replayRebuildsTheStore(seed: UInt64, withIndexes: Bool) throws {
        var workload = RandomWorkload(seed: seed, withIndexes: withIndexes)
        try workload.run(steps: 4000)
        #expect(workload.store.consistencyProblems() == [])
        #expect(workload.refusals > 0, "the workload also exercises refusals")
        #expect(workload.store.nodeCount > 100)
        #expect(workload.store.relationshipCount > 20)
        #expect(workload.events.contains(.clear))

        var replayed = GraphStore()
        for event in workload.events {
            // Through the bytes, as recovery sees them.
            try replayed.apply(try MutationEvent.decode(try event.encoded()))
        }
        #expect(replayed == workload.store)
        #expect(replayed.dump() == workload.store.dump())
        #expect(replayed.nextNodeID == workload.store.nextNodeID)
        #expect(replayed.nextRelationshipID == workload.store.nextRelationshipID)
        #expect(replayed.stats == workload.store.stats)
        #expect(replayed.consistencyProblems() == [])
    }

    @Test("a snapshot taken mid-way plus the events after it rebuilds the store", arguments: [7, 99] as [UInt64])
    func snapshotPlusTail(seed: UInt64) throws {
        var workload = RandomWorkload(seed: seed)
        try workload.run(steps: 3000)
        for checkpoint in workload.checkpoints {
            let bytes = checkpoint.store.snapshotBytes(walLSN: LSN(UInt64(checkpoint.eventCount)))
            var (store, walLSN) = try GraphStore.decodeSnapshot(bytes)
            #expect(store == checkpoint.store)
            for event in workload.events[Int(walLSN.rawValue)...] { try store.apply(event) }
            #expect(store == workload.store)
        }
    }

    @Test("copies taken earlier are untouched by later mutations (rollback by keeping the old value)")
    func valueSemantics() throws {
        var workload = RandomWorkload(seed: 5)
        try workload.run(steps: 3000)
        #expect(workload.checkpoints.count > 3)
        for checkpoint in workload.checkpoints {
            #expect(checkpoint.store.dump() == checkpoint.dump)
            #expect(checkpoint.store.consistencyProblems() == [])
        }
    }
}
