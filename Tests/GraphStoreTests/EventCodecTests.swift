import Testing
import WriteAheadLog

@testable import GraphStore

@Suite("MutationEvent codec")
struct EventCodecTests {
    @Test("every event variant round-trips", arguments: SampleEvents.all)
    func eventRoundTrip(event: MutationEvent) throws {
        let bytes = try encode(event)
        #expect(bytes.first == MutationEvent.codecVersion)
        #expect(try MutationEvent.decode(bytes) == event)
        #expect(try encode(try MutationEvent.decode(bytes)) == bytes, "encoding is a function of the event")
    }

    @Test("every value kind round-trips, bit patterns included", arguments: SampleValues.all)
    func valueRoundTrip(value: PropertyValue) throws {
        let event = MutationEvent.setNodeProperty(node: 1, key: "k", value: value)
        let decoded = try MutationEvent.decode(try encode(event))
        guard case .setNodeProperty(_, _, let back) = decoded else {
            Issue.record("decoded \(decoded)")
            return
        }
        #expect(back == value)
        if case .double(let original) = value, case .double(let copy) = back {
            #expect(original.bitPattern == copy.bitPattern)
        }
    }

    @Test("encoding does not depend on dictionary or set order")
    func deterministicEncoding() throws {
        var left: [String: PropertyValue] = [:]
        var right: [String: PropertyValue] = [:]
        let keys = (0..<50).map { "key\($0)" }
        for key in keys { left[key] = .string(key) }
        for key in keys.reversed() { right[key] = .string(key) }
        let a = MutationEvent.createNode(id: 1, labels: Set(keys), properties: left)
        let b = MutationEvent.createNode(id: 1, labels: Set(keys.reversed()), properties: right)
        #expect(try encode(a) == encode(b))
    }

    @Test("properties are written in key order, however many there are", arguments: [0, 1, 2, 3, 15, 16, 17, 50])
    func propertiesInKeyOrder(count: Int) {
        var rng = SeededGenerator(seed: UInt64(count))
        let keys = (0..<count).map { "k\(($0 * 7919) % 1000)" + (Bool.random(using: &rng) ? "é" : "") }
        var expected: [UInt8] = []
        expected.appendVarint(UInt64(count))
        for key in keys.sorted() {
            expected.appendVarString(key)
            expected.appendValue(.string(key))
        }
        for _ in 0..<5 {
            var properties: [String: PropertyValue] = [:]
            for key in keys.shuffled(using: &rng) { properties[key] = .string(key) }
            var bytes: [UInt8] = []
            bytes.appendProperties(properties)
            #expect(bytes == expected)
        }
    }

    @Test("labels are written sorted, however many there are", arguments: [0, 1, 2, 3, 15, 16, 17, 50])
    func labelsSorted(count: Int) {
        var rng = SeededGenerator(seed: UInt64(100 + count))
        // Short (inline) and long strings, ASCII and not.
        let labels = (0..<count).map { index -> String in
            let stem = "L\((index * 7919) % 1000)" + (Bool.random(using: &rng) ? "é" : "")
            return index % 3 == 0 ? stem + String(repeating: "x", count: 40) : stem
        }
        var expected: [UInt8] = []
        expected.appendVarint(UInt64(count))
        for label in labels.sorted() {
            expected.appendVarint(UInt64(label.utf8.count))
            expected += Array(label.utf8)
        }
        for _ in 0..<5 {
            var bytes: [UInt8] = []
            bytes.appendLabels(Set(labels.shuffled(using: &rng)))
            #expect(bytes == expected)
        }
    }

    @Test("small ids and short strings cost one byte each")
    func compactness() throws {
        #expect(try encode(.deleteNode(node: 5)) == [1, 10, 5])
        #expect(try encode(.addNodeLabel(node: 1, label: "A")) == [1, 5, 1, 1, 65])
        #expect(try encode(.setNodeProperty(node: 1, key: "n", value: -1)) == [1, 3, 1, 1, 110, 3, 1])
        #expect(try encode(.clear) == [1, 12])
    }

    @Test("a value deeper than the limit is refused by the encoder")
    func encoderRefusesDeepValues() {
        let event = MutationEvent.setNodeProperty(node: 1, key: "deep", value: SampleValues.nested(depth: 65))
        var buffer: [UInt8] = [42]
        let error = #expect(throws: WALError.self) { try event.encode(into: &buffer) }
        #expect(error?.code == .eventEncoding)
        #expect(error?.message.contains("\"deep\"") == true)
        #expect(buffer == [42], "a failed encode leaves the buffer as it was")
    }

    @Test("every strict prefix of a valid encoding is refused", arguments: SampleEvents.all)
    func truncations(event: MutationEvent) throws {
        let bytes = try encode(event)
        for length in 0..<bytes.count {
            let error = #expect(throws: WALError.self) { try MutationEvent.decode(Array(bytes[0..<length])) }
            #expect(error?.code == .eventDecoding)
        }
    }

    @Test("bytes left over after an event are refused")
    func trailingBytes() throws {
        let error = #expect(throws: WALError.self) { try MutationEvent.decode(try encode(.clear) + [0]) }
        #expect(error?.message.contains("left over") == true)
    }

    /// Hand-made bad encodings and a word the error must contain.
    static let badBytes: [(String, [UInt8], String)] = [
        ("empty", [], "at least 2 bytes"),
        ("version 0", [0, 12], "version 0"),
        ("version 2", [2, 12], "version 2"),
        ("no tag", [1], "before its tag"),
        ("tag 0", [1, 0], "tag 0"),
        ("tag 15", [1, 15], "tag 15"),
        ("tag 254", [1, 254], "tag 254"),
        ("unknown value tag", [1, 3, 1, 1, 107, 9], "value tag 9"),
        ("invalid UTF-8 key", [1, 3, 1, 1, 0xFF, 0], "UTF-8"),
        ("invalid UTF-8 label", [1, 5, 1, 2, 0xC3, 0x28], "UTF-8"),
        ("overlong UTF-8", [1, 5, 1, 2, 0xC0, 0xAF], "UTF-8"),
        ("absurd string length", [1, 5, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 65], "claims"),
        ("absurd label count", [1, 1, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0], "claims"),
        ("absurd property count", [1, 1, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0, 0], "claims"),
        ("absurd list count", [1, 3, 1, 1, 107, 7, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0], "claims"),
        ("absurd bytes length", [1, 3, 1, 1, 107, 6, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0], "claims"),
        ("varint over 64 bits", [1, 10, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02], "64 bits"),
        ("varint over 10 bytes", [1, 10, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], "64 bits"),
        ("repeated label", [1, 1, 0, 2, 1, 65, 1, 65, 0], "repeats the label \"A\""),
        ("repeated key", [1, 1, 0, 0, 2, 1, 107, 0, 1, 107, 0], "repeats the key \"k\""),
        ("truncated double", [1, 3, 1, 1, 107, 4, 0, 0, 0], "cut short"),
    ]

    @Test("malformed bytes are refused with an error naming the problem", arguments: badBytes.map(\.0))
    func malformed(name: String) throws {
        let (_, bytes, word) = try #require(Self.badBytes.first { $0.0 == name })
        let error = #expect(throws: WALError.self) { try MutationEvent.decode(bytes) }
        #expect(error?.code == .eventDecoding)
        #expect(error?.message.contains(word) == true, "\(error?.message ?? "")")
    }

    @Test("nesting is accepted up to the limit and refused one level beyond")
    func nestingLimit() throws {
        let limit = PropertyValue.maximumNestingDepth
        let atLimit = MutationEvent.setNodeProperty(node: 0, key: "k", value: SampleValues.nested(depth: limit))
        #expect(try MutationEvent.decode(try encode(atLimit)) == atLimit)
        // 65 nested one-element lists, written by hand since the encoder refuses them.
        var bytes: [UInt8] = [1, 3, 0, 1, 107]
        for _ in 0...limit { bytes += [7, 1] }
        bytes.append(0)
        let error = #expect(throws: WALError.self) { try MutationEvent.decode(bytes) }
        #expect(error?.message.contains("deeper than \(limit)") == true)
    }

    @Test("a million nested lists are refused without exhausting the stack")
    func hostileNesting() {
        var bytes: [UInt8] = [1, 3, 0, 1, 107]
        for _ in 0..<1_000_000 { bytes += [7, 1] }
        bytes.append(0)
        #expect(throws: WALError.self) { try MutationEvent.decode(bytes) }
    }

    @Test("random corruption of valid encodings never crashes")
    func randomCorruption() throws {
        var rng = SeededGenerator(seed: 0xC0FFEE)
        for event in SampleEvents.all {
            let bytes = try encode(event)
            for _ in 0..<200 {
                var corrupt = bytes
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    corrupt[Int.random(in: 0..<corrupt.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                // Either a clean error or some event: never a trap or a huge allocation.
                _ = try? MutationEvent.decode(corrupt)
            }
        }
    }

    @Test("the description is deterministic and names every field")
    func descriptions() {
        let event = MutationEvent.createNode(id: 3, labels: ["B", "A"], properties: ["z": 1, "a": "x\n"])
        #expect(event.description == #"createNode(id: 3, labels: ["A", "B"], properties: {"a": "x\n", "z": 1})"#)
        #expect(MutationEvent.clear.description == "clear")
        #expect(
            MutationEvent.setNodeProperty(node: 1, key: "n", value: .double(SampleValues.nanWithPayload)).description
                == #"setNodeProperty(node: 1, key: "n", value: nan(0x7ff0000000000001))"#)
    }
}

@Suite("Annotation events")
struct AnnotationEventTests {
    @Test("an annotation takes tag 255 and applying it leaves the graph as it was")
    func annotationIsNoOp() throws {
        let event = MutationEvent.annotation(name: "n", text: "t")
        #expect(try event.encoded() == [MutationEvent.codecVersion, 255, 1, UInt8(ascii: "n"), 1, UInt8(ascii: "t")])
        var store = GraphStore()
        var events: [MutationEvent] = []
        _ = try store.createNode(labels: ["L"], properties: ["k": 1], events: &events)
        let before = store
        try store.apply(event)
        #expect(store == before)
        #expect(event.description == #"annotation(name: "n", text: "t")"#)
    }
}
