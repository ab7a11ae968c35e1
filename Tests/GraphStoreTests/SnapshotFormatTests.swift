import Testing
import WriteAheadLog

@testable import GraphStore

@Suite("Snapshot format versions and streaming")
struct SnapshotFormatTests {
    /// A version-1 snapshot (stamped LSN 42) written by the build before
    /// version 2: nodes 0, 1, 3 (2 was deleted) and relationships 0, 2, 3.
    static let version1Hex =
        "4752415048534e50010000002a0000000000000003000000000000000300000000000000040000000000000004000000000000009200000000000000da24edb6000106506572736f6e0204626f726e03ae1c046e616d65050341646100020541646d696e06506572736f6e02046e616d650503426f620573636f726504000000000000044001000404626c6f62060200ff076e6f7468696e6700026f6b020474616773070205017805017900054b4e4f57530001010573696e636503e61c01054c494b455300000000054b4e4f575301000008b867ce"

    static let version1Dump = """
        counters nextNode=4 nextRelationship=4
        node 0 ["Person"] {"born": 1815, "name": "Ada"}
        node 1 ["Admin", "Person"] {"name": "Bob", "score": 2.5}
        node 3 [] {"blob": 0x00ff, "nothing": null, "ok": true, "tags": ["x", "y"]}
        relationship 0 (0)-["KNOWS"]->(1) {"since": 1843}
        relationship 2 (0)-["LIKES"]->(0) {}
        relationship 3 (1)-["KNOWS"]->(0) {}

        """

    static func bytes(hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }

    @Test("a version-1 snapshot written before indexes existed still loads")
    func loadsVersion1() throws {
        let bytes = Self.bytes(hex: Self.version1Hex)
        let header = try SnapshotHeader(parsing: bytes)
        #expect(header.version == 1)
        let (store, walLSN) = try GraphStore.decodeSnapshot(bytes)
        #expect(walLSN == 42)
        #expect(store.dump() == Self.version1Dump)
        #expect(store.indexes.isEmpty)
        #expect(store.consistencyProblems() == [])
        // Written again, it is version 2, and loads to the same graph.
        let rewritten = store.snapshotBytes(walLSN: 42)
        #expect(try SnapshotHeader(parsing: rewritten).version == SnapshotHeader.currentVersion)
        #expect(try GraphStore.decodeSnapshot(rewritten).store == store)
    }

    @Test("indexes survive a snapshot: the definitions are kept and the contents rebuilt")
    func indexesSurvive() throws {
        var graph = try SampleGraph()
        try graph.store.createIndex(label: "Person", key: "name", unique: true, events: &graph.events)
        try graph.store.createIndex(label: "Admin", key: "level", events: &graph.events)
        let (store, _) = try GraphStore.decodeSnapshot(graph.store.snapshotBytes(walLSN: 3))
        #expect(store == graph.store)
        #expect(store.indexes == graph.store.indexes)
        #expect(store.nodes(label: "Person", propertyKey: "name", value: "Bob", limit: 5).items.map(\.id) == [graph.bob])
        #expect(store.consistencyProblems() == [])
    }

    @Test("a snapshot whose nodes break a unique index it lists is refused")
    func brokenUniqueIndex() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        try store.createNode(labels: ["P"], properties: ["k": 1], events: &events)
        try store.createNode(labels: ["P"], properties: ["k": 1], events: &events)
        try store.createIndex(label: "P", key: "k", events: &events)
        var bytes = store.snapshotBytes()
        // Flip the index's uniqueness flag (the last body byte) and fix the checksums.
        let body = Array(bytes[SnapshotHeader.size..<(bytes.count - SnapshotHeader.trailerSize)])
        var damaged = body
        damaged[damaged.count - 1] = 1
        let header = try SnapshotHeader(parsing: bytes)
        bytes = header.bytes + damaged
        bytes.appendLittleEndian(CRC32C.checksum(damaged))
        let error = #expect(throws: GraphStoreError.self) { try GraphStore.decodeSnapshot(bytes) }
        #expect(error?.code == .snapshotCorrupt)
        #expect(error?.message.contains("index") == true)
    }

    @Test("a streamed snapshot comes in pieces of the size asked, and equals the bytes in memory", arguments: [64, 100, 4096])
    func streams(chunkBytes: Int) throws {
        var graph = try SampleGraph()
        for number in 0..<500 {
            try graph.store.createNode(labels: ["N"], properties: ["n": .int(Int64(number)), "pad": .string(String(repeating: "x", count: 40))], events: &graph.events)
        }
        var file: [UInt8] = []
        var pieces: [(offset: UInt64, count: Int)] = []
        let header = graph.store.writeSnapshot(walLSN: 9, chunkBytes: chunkBytes) { piece, offset in
            pieces.append((offset, piece.count))
            let end = Int(offset) + piece.count
            if file.count < end { file += [UInt8](repeating: 0, count: end - file.count) }
            file.replaceSubrange(Int(offset)..<end, with: piece)
        }
        #expect(file == graph.store.snapshotBytes(walLSN: 9))
        #expect(UInt64(file.count) == header.snapshotSize)
        #expect(pieces.count > 2)
        // Body pieces in order and bounded: a piece is flushed once it passes the size, by at most one entity.
        #expect(pieces.dropLast(2).allSatisfy { $0.count < chunkBytes + 200 })
        #expect(pieces.last?.offset == 0, "the header comes last")
    }

    /// A version-3 snapshot (stamped LSN 7) written by the build before
    /// version 4 (commit bb6ab33): the graph of `CompactStorageTests.version2Dump`.
    static let version3Hex =
        "4752415048534e500300000007000000000000000300000000000000020000000000000004000000000000000300000000000000ac00000000000000"
        + "df0d7c6d020106506572736f6e020541646d696e06506572736f6e0704626f726e046e616d6504746167730573636f726504626c6f62076e6f746869"
        + "6e670573696e636501054b4e4f5753000126030003ae1c01050341646102070205017808010464656570070204000000000000044006010900021102"
        + "010503426f62030400000000000004400100080204060200ff05000000000105010603e61c01000100000106506572736f6e046e616d650153d1144e"

    @Test("a version-3 snapshot written before log positions still loads, with none")
    func loadsVersion3() throws {
        let bytes = Self.bytes(hex: Self.version3Hex)
        #expect(try SnapshotHeader(parsing: bytes).version == 3)
        let loaded = try GraphStore.loadSnapshot(bytes)
        #expect(loaded.walLSN == 7)
        #expect(loaded.logPosition == nil)
        #expect(loaded.store.dump() == CompactStorageTests.version2Dump)
        #expect(loaded.store.consistencyProblems() == [])
        let rewritten = loaded.store.snapshotBytes(walLSN: 7)
        #expect(try SnapshotHeader(parsing: rewritten).version == 4)
        #expect(try GraphStore.decodeSnapshot(rewritten).store == loaded.store)
    }

    @Test("a log position survives a snapshot; one above the stamp is not written, and a body claiming one is refused")
    func logPosition() throws {
        let graph = try SampleGraph()
        let position = LogPosition(segment: SegmentID(300), offset: 5_000_000_123, lsn: LSN(90))
        for (stamp, expected) in [(LSN(90), position), (LSN(1 << 40), position), (LSN(89), nil), (LSN.none, nil)] {
            let bytes = graph.store.snapshotBytes(walLSN: stamp, logPosition: position)
            let loaded = try GraphStore.loadSnapshot(bytes)
            #expect(loaded.logPosition == expected, "stamp \(stamp)")
            #expect(loaded.store == graph.store)
            // Streamed in small pieces, the same bytes.
            var streamed: [UInt8] = []
            graph.store.writeSnapshot(walLSN: stamp, logPosition: position, chunkBytes: 64) { piece, offset in
                if offset == 0 { streamed.replaceSubrange(0..<SnapshotHeader.size, with: piece) } else {
                    if streamed.isEmpty { streamed = [UInt8](repeating: 0, count: SnapshotHeader.size) }
                    streamed += piece
                }
            }
            #expect(streamed == bytes)
        }
        // A body (checksums made to match) whose position lies above its stamp, or whose flag is not 0 or 1.
        let store = GraphStore()
        var bytes = store.snapshotBytes(walLSN: LSN(10), logPosition: LogPosition(segment: SegmentID(1), offset: 40, lsn: LSN(10)))
        #expect(Array(bytes[SnapshotHeader.size..<(SnapshotHeader.size + 4)]) == [1, 1, 40, 10])
        bytes[SnapshotHeader.size + 3] = 11
        expectCorrupt(Self.resealed(bytes), "names LSN 11")
        bytes[SnapshotHeader.size] = 2
        expectCorrupt(Self.resealed(bytes), "flag is 2")
    }

    /// `bytes` with the body checksum made to match its body again.
    static func resealed(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        let end = bytes.count - SnapshotHeader.trailerSize
        let checksum = CRC32C.checksum(Array(bytes[SnapshotHeader.size..<end]))
        withUnsafeBytes(of: checksum.littleEndian) { bytes.replaceSubrange(end..<(end + 4), with: $0) }
        return bytes
    }

    func expectCorrupt(_ bytes: [UInt8], _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try GraphStore.loadSnapshot(bytes)
            Issue.record("expected a corrupt snapshot", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == .snapshotCorrupt, sourceLocation: sourceLocation)
            #expect(error.message.contains(message), "\(error.message)", sourceLocation: sourceLocation)
        }
    }
}
