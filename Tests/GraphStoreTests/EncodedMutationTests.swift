import Testing
import WriteAheadLog

@testable import GraphStore

/// Node creations that encode their event as they build the record from
/// it: the store, the events and the log bytes must be exactly those of
/// the public path followed by encoding each event.
@Suite("Encoded mutations")
struct EncodedMutationTests {
    /// The batch the log would get from encoding `events` one by one.
    static func batch(encoding events: [MutationEvent]) throws -> EncodedBatch {
        var batch = EncodedBatch()
        for event in events { try batch.append(event) }
        return batch
    }

    @Test(
        "random workloads build the same store, events and log bytes either way",
        arguments: [4, 31, 2026] as [UInt64], [false, true])
    func randomWorkloads(seed: UInt64, withIndexes: Bool) throws {
        var plain = RandomWorkload(seed: seed, withIndexes: withIndexes)
        var encoding = RandomWorkload(seed: seed, encodesCreations: true, withIndexes: withIndexes)
        try plain.run(steps: 4000)
        try encoding.run(steps: 4000)
        #expect(encoding.encodedCreations > 200, "most creations take the encoded path")
        #expect(encoding.events == plain.events)
        #expect(encoding.store == plain.store)
        #expect(encoding.store.snapshotBytes() == plain.store.snapshotBytes(), "records byte for byte")
        #expect(encoding.store.consistencyProblems() == [])
        #expect(encoding.store.propertyIndexes == plain.store.propertyIndexes, "the same index contents")
        var batch = try #require(encoding.encoded)
        while batch.count < encoding.events.count { try batch.append(encoding.events[batch.count]) }
        let expected = try Self.batch(encoding: plain.events)
        #expect(batch.count == expected.count)
        #expect(batch.bytes == expected.bytes)
    }

    @Test("every kind of value, and labels and keys met for the first time")
    func everyValue() throws {
        var plain = GraphStore()
        var encoding = GraphStore()
        var plainEvents: [MutationEvent] = []
        var events: [MutationEvent] = []
        var batch = EncodedBatch()
        var takenByEncoding = 0
        for (index, value) in SampleValues.all.enumerated() {
            // Keys in and out of name order, some new, some seen; up to 17 of them.
            var properties: [String: PropertyValue] = ["v": value, "z\(index % 3)": .int(Int64(index))]
            for extra in 0..<(index % 18) { properties["k\(extra)"] = .string("\(extra)") }
            let labels: Set<String> = index.isMultiple(of: 4) ? [] : ["L\(index % 5)", "Shared"]
            try plain.createNode(labels: labels, properties: properties, events: &plainEvents)
            while batch.count < events.count { try batch.append(events[batch.count]) }
            try encoding.createNode(labels: labels, properties: properties, events: &events, encoded: &batch)
            // The encoded path encodes its event; the public one leaves it behind.
            if batch.count == events.count { takenByEncoding += 1 }
        }
        while batch.count < events.count { try batch.append(events[batch.count]) }
        #expect(takenByEncoding > 10)
        #expect(events == plainEvents)
        #expect(encoding == plain)
        #expect(encoding.snapshotBytes() == plain.snapshotBytes())
        #expect(batch.bytes == (try Self.batch(encoding: plainEvents)).bytes)
    }

    @Test("a node of a few megabytes takes the encoded path and encodes as the public path does")
    func megabyteNode() throws {
        var plain = GraphStore()
        var encoding = GraphStore()
        var plainEvents: [MutationEvent] = []
        var events: [MutationEvent] = []
        var batch = EncodedBatch()
        let properties: [String: PropertyValue] = [
            "text": .string(String(repeating: "ü0", count: 1 << 19)), "blob": .bytes((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0) }),
            "list": .list((0..<10_000).map { .int(Int64($0)) }),
        ]
        for round in 0..<3 {
            try plain.createNode(labels: ["Big"], properties: properties, events: &plainEvents)
            try encoding.createNode(labels: ["Big"], properties: properties, events: &events, encoded: &batch)
            // The first numbers the keys (the public path); the next ones are encoded.
            if round == 0 { try batch.append(events[0]) }
            #expect(batch.count == events.count)
        }
        #expect(batch.bytes.count > 3 * (4 << 20))
        #expect(encoding == plain)
        #expect(encoding.snapshotBytes() == plain.snapshotBytes())
        #expect(batch.bytes == (try Self.batch(encoding: plainEvents)).bytes)
    }

    @Test("a value nested too deep is refused as the public path refuses it, changing nothing")
    func tooDeep() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        var batch = EncodedBatch()
        try store.createNode(labels: ["A"], properties: ["k": .int(1)], events: &events, encoded: &batch)
        #expect(batch.count == 0, "the first creation numbers the key, and falls back")
        try batch.append(events[0])
        try store.createNode(labels: ["A"], properties: ["k": .int(2)], events: &events, encoded: &batch)
        #expect(batch.count == 2, "the second takes the encoded path")
        let before = (store, events, batch.bytes)
        let deep = SampleValues.nested(depth: PropertyValue.maximumNestingDepth + 1)
        let error = #expect(throws: GraphStoreError.self) {
            try store.createNode(labels: ["A"], properties: ["k": deep], events: &events, encoded: &batch)
        }
        #expect(error?.code == .invalidValue)
        #expect(store == before.0)
        #expect(events == before.1)
        #expect(batch.bytes == before.2)
        #expect(batch.count == events.count)
    }

    @Test("a label with a property index takes the encoded path, and a node its constraint refuses the public one")
    func indexedLabel() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        var batch = EncodedBatch()
        try store.createIndex(label: "User", key: "email", unique: true, events: &events)
        try store.createNode(labels: ["User"], properties: ["email": "a@x"], events: &events)
        while batch.count < events.count { try batch.append(events[batch.count]) }
        let id = try store.createNode(labels: ["User"], properties: ["email": "b@x"], events: &events, encoded: &batch)
        #expect(batch.count == events.count, "encoded as it was created")
        #expect(store.nodes(label: "User", propertyKey: "email", value: "b@x", limit: 5).items.map(\.id) == [id])
        #expect(store.consistencyProblems() == [])
        // The constraint refuses a second "a@x" as the public path does, changing nothing.
        let before = (store, store.propertyIndexes, events, batch.bytes)
        let error = #expect(throws: GraphStoreError.self) {
            try store.createNode(labels: ["User"], properties: ["email": "a@x"], events: &events, encoded: &batch)
        }
        var plain = before.0
        var plainEvents = before.2
        let plainError = #expect(throws: GraphStoreError.self) {
            try plain.createNode(labels: ["User"], properties: ["email": "a@x"], events: &plainEvents)
        }
        #expect(error?.code == .uniqueConstraintViolation && error?.message == plainError?.message)
        #expect(store == before.0 && store.propertyIndexes == before.1 && events == before.2 && batch.bytes == before.3)
        // A value nested too deep is reported first, as the public path reports it.
        let deep = SampleValues.nested(depth: PropertyValue.maximumNestingDepth + 1)
        let deepError = #expect(throws: GraphStoreError.self) {
            try store.createNode(labels: ["User"], properties: ["email": "a@x", "k": deep], events: &events, encoded: &batch)
        }
        #expect(deepError?.code == .invalidValue)
        // A node without the indexed label takes the encoded path too.
        try store.createNode(labels: ["Other"], properties: ["email": "a@x"], events: &events, encoded: &batch)
        #expect(batch.count == events.count)
    }

    @Test("the writer into sized memory writes what appending writes, and refuses a wrong size without writing past it")
    func byteWriter() throws {
        for value in SampleValues.all {
            var appended: [UInt8] = [9]
            appended.appendValue(value)
            var written: [UInt8] = [9]
            #expect(written.appendWriting(size: value.encodedSize) { $0.appendValue(value) })
            #expect(written == appended)
            // One byte short, one too many: refused, the array as it was.
            var short: [UInt8] = [9]
            #expect(!short.appendWriting(size: value.encodedSize - 1) { $0.appendValue(value) })
            #expect(short == [9])
            var long: [UInt8] = [9]
            #expect(!long.appendWriting(size: value.encodedSize + 1) { $0.appendValue(value) })
            #expect(long == [9])
        }
        var large: [UInt8] = []
        let text = String(repeating: "ü", count: 3000)
        #expect(large.appendWriting(size: encodedStringSize(text)) { $0.appendVarString(text) })
        var expected: [UInt8] = []
        expected.appendVarString(text)
        #expect(large == expected)
    }

    @Test("a batch appended to and rolled back keeps exactly its events")
    func batchRollBack() throws {
        var batch = EncodedBatch()
        try batch.append(MutationEvent.deleteNode(node: 1))
        let end = batch.end
        try batch.append(MutationEvent.annotation(name: "n", text: String(repeating: "t", count: 1000)))
        batch.rollBack(to: end)
        #expect(batch.count == 1)
        #expect(batch.bytes == (try Self.batch(encoding: [.deleteNode(node: 1)])).bytes)
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try batch.append { (buffer: inout [UInt8]) throws(Refused) in
                buffer.append(contentsOf: [1, 2, 3])
                throw Refused()
            }
        }
        #expect(batch.count == 1)
        #expect(batch.bytes == (try Self.batch(encoding: [.deleteNode(node: 1)])).bytes)
        batch.removeAll()
        #expect(batch.count == 0 && batch.bytes.isEmpty)
    }
}
