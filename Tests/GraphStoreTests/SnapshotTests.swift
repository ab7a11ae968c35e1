import Testing
import WriteAheadLog

@testable import GraphStore

/// Assembles snapshot bytes around `body` with correct checksums, so tests
/// can make snapshots that pass the checksums yet lie in their contents.
/// Version 1 by default: a body of nodes and relationships, without the
/// index section version 2 adds.
func craftSnapshot(
    body: [UInt8], nodeCount: UInt64, relationshipCount: UInt64, nextNodeID: UInt64, nextRelationshipID: UInt64,
    version: UInt16 = 1
) -> [UInt8] {
    let header = SnapshotHeader(
        walLSN: 9, nodeCount: nodeCount, relationshipCount: relationshipCount, nextNodeID: NodeID(nextNodeID),
        nextRelationshipID: RelationshipID(nextRelationshipID), bodyLength: UInt64(body.count), version: version)
    var bytes = header.bytes + body
    bytes.appendLittleEndian(CRC32C.checksum(body))
    return bytes
}

@Suite("Snapshots")
struct SnapshotTests {
    @Test("a snapshot round-trips the store, its counters and the WAL LSN")
    func roundTrip() throws {
        var graph = try SampleGraph()
        try graph.store.setNodeProperty(
            graph.carol, key: "all", value: .list(Array(SampleValues.all.dropLast())), events: &graph.events)
        try graph.store.setNodeProperty(
            graph.carol, key: "deepest", value: SampleValues.all.last ?? nil, events: &graph.events)
        try graph.store.deleteRelationship(graph.knowsBack, events: &graph.events)
        let bytes = graph.store.snapshotBytes(walLSN: 12345)
        let (store, walLSN) = try GraphStore.decodeSnapshot(bytes)
        #expect(walLSN == 12345)
        #expect(store == graph.store)
        #expect(store.dump() == graph.store.dump())
        #expect(store.consistencyProblems() == [])
        #expect(store.snapshotBytes(walLSN: 12345) == bytes, "equal stores with the same intern tables give identical bytes")
    }

    @Test("an empty store keeps its counters through a snapshot")
    func emptyStore() throws {
        var graph = try SampleGraph()
        graph.store.clear(events: &graph.events)
        let (store, walLSN) = try GraphStore.decodeSnapshot(graph.store.snapshotBytes())
        #expect(walLSN == .none)
        #expect(store.isEmpty)
        #expect(store.nextNodeID == 3)
        #expect(store.nextRelationshipID == 3)
        // The body of an empty store is no log position and four counts:
        // label sets, keys, types, indexes.
        #expect(GraphStore().snapshotBytes().count == SnapshotHeader.size + 1 + 4 + SnapshotHeader.trailerSize)
    }

    @Test("the header reads from its first 64 bytes alone, and the body check reports its status")
    func headerOnly() throws {
        let graph = try SampleGraph()
        let bytes = graph.store.snapshotBytes(walLSN: 77)
        let header = try SnapshotHeader(parsing: Array(bytes.prefix(SnapshotHeader.size)))
        #expect(header.walLSN == 77)
        #expect(header.nodeCount == 3)
        #expect(header.relationshipCount == 3)
        #expect(header.nextNodeID == 3)
        #expect(header.nextRelationshipID == 3)
        #expect(header.version == SnapshotHeader.currentVersion)
        #expect(header.snapshotSize == UInt64(bytes.count))
        #expect(header.checkBody(of: bytes) == .intact)
        #expect(
            header.checkBody(of: bytes.dropLast())
                == .wrongSize(expected: UInt64(bytes.count), actual: UInt64(bytes.count - 1)))
        var damaged = bytes
        damaged[SnapshotHeader.size] ^= 0x40
        guard case .checksumMismatch = header.checkBody(of: damaged) else {
            Issue.record("a damaged body should fail its checksum")
            return
        }
    }

    @Test("flipping any byte of a snapshot is detected")
    func everyFlipIsDetected() throws {
        let bytes = try SampleGraph().store.snapshotBytes(walLSN: 5)
        for offset in bytes.indices {
            for mask: UInt8 in [0x01, 0x80, 0xFF] {
                var damaged = bytes
                damaged[offset] ^= mask
                let error = #expect(throws: GraphStoreError.self, "flip at \(offset)") {
                    try GraphStore.decodeSnapshot(damaged)
                }
                if offset >= 8 && offset < SnapshotHeader.size || offset >= SnapshotHeader.size {
                    #expect(error?.code == .snapshotChecksumMismatch, "flip at \(offset): \(String(describing: error))")
                } else {
                    #expect(error?.code == .snapshotCorrupt, "a damaged magic is not a snapshot")
                }
            }
        }
    }

    @Test("every truncation of a snapshot is refused")
    func everyTruncationIsRefused() throws {
        let bytes = try SampleGraph().store.snapshotBytes(walLSN: 5)
        for length in 0..<bytes.count {
            let error = #expect(throws: GraphStoreError.self) {
                try GraphStore.decodeSnapshot(Array(bytes[0..<length]))
            }
            #expect(error?.code == .snapshotCorrupt)
            if length >= SnapshotHeader.size { #expect(error?.message.contains("truncated") == true) }
        }
        let error = #expect(throws: GraphStoreError.self) { try GraphStore.decodeSnapshot(bytes + [0]) }
        #expect(error?.message.contains("1 unexpected bytes") == true)
    }

    @Test("a snapshot from a newer format version is refused as such")
    func newerVersion() {
        let bytes = craftSnapshot(
            body: [], nodeCount: 0, relationshipCount: 0, nextNodeID: 0, nextRelationshipID: 0,
            version: SnapshotHeader.currentVersion + 1)
        let error = #expect(throws: GraphStoreError.self) { try GraphStore.decodeSnapshot(bytes) }
        #expect(error?.code == .unsupportedSnapshotVersion)
        #expect(error?.offset == 8)
    }

    /// Bodies with valid checksums whose contents contradict the header or the graph's rules.
    static let lies: [(String, [UInt8], UInt64, UInt64, UInt64, UInt64, String)] = [
        // name, body, nodes, relationships, nextNode, nextRelationship, word in the message
        ("fewer nodes than counted", [0, 0, 0], 2, 0, 5, 0, "cannot fit"),
        ("more nodes than counted", [0, 0, 0, 0, 0, 0], 1, 0, 5, 0, "left over"),
        ("a node at the next node id", [3, 0, 0], 1, 0, 3, 0, "next node id"),
        ("a relationship to a missing node", [0, 0, 0, 0, 1, 84, 0, 7, 0], 1, 1, 1, 1, "node 7"),
        (
            "a relationship at the next relationship id", [0, 0, 0, 4, 1, 84, 0, 0, 0], 1, 1, 1, 4,
            "next relationship id"
        ),
        ("a repeated label", [0, 2, 1, 65, 1, 65, 0], 1, 0, 1, 0, "repeats the label"),
        (
            "an id gap past the id space", [0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0, 0],
            2, 0, 5, 0, "id space"
        ),
        ("invalid UTF-8 in a type", [0, 0, 0, 0, 1, 0xFF, 0, 0, 0], 1, 1, 1, 1, "UTF-8"),
    ]

    @Test("a body that contradicts its header or the graph's rules is refused", arguments: lies.map(\.0))
    func lyingBody(name: String) throws {
        let (_, body, nodes, relationships, nextNode, nextRelationship, word) = try #require(
            Self.lies.first { $0.0 == name })
        let bytes = craftSnapshot(
            body: body, nodeCount: nodes, relationshipCount: relationships, nextNodeID: nextNode,
            nextRelationshipID: nextRelationship)
        let error = #expect(throws: GraphStoreError.self) { try GraphStore.decodeSnapshot(bytes) }
        #expect(error?.code == .snapshotCorrupt)
        #expect(error?.message.contains(word) == true, "\(error?.message ?? "")")
    }

    @Test("a crafted body decodes into the graph it describes")
    func craftedBody() throws {
        // node 0 [A] {}, node 2 {}, relationship 5 (2)-[T]->(0) {}
        let body: [UInt8] = [0, 1, 1, 65, 0, 1, 0, 0, 5, 1, 84, 2, 0, 0]
        let (store, _) = try GraphStore.decodeSnapshot(
            craftSnapshot(body: body, nodeCount: 2, relationshipCount: 1, nextNodeID: 3, nextRelationshipID: 6))
        #expect(store.node(0)?.labels == ["A"])
        #expect(store.node(2) != nil)
        #expect(store.relationship(5)?.source == 2)
        #expect(store.nextRelationshipID == 6)
        #expect(store.consistencyProblems() == [])
    }

    @Test("random damage to a large snapshot never crashes and is always detected")
    func randomDamage() throws {
        var workload = RandomWorkload(seed: 11)
        try workload.run(steps: 1500)
        let bytes = workload.store.snapshotBytes(walLSN: 3)
        #expect(try GraphStore.decodeSnapshot(bytes).store == workload.store)
        var rng = SeededGenerator(seed: 12)
        for _ in 0..<300 {
            var damaged = bytes
            damaged[Int.random(in: 0..<damaged.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            #expect(throws: GraphStoreError.self) { try GraphStore.decodeSnapshot(damaged) }
        }
    }
}
