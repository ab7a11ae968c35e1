import Dispatch
import Synchronization
import Testing

@testable import GraphStore

/// Created records' property bytes share pooled blocks (``BlobArena``,
/// ``BlockPool``); these pin that no version ever sees another's bytes,
/// that updates and large values get memory of their own, and that
/// blocks go back to their pool and are handed out again.
@Suite("Property bytes in shared blocks")
struct BlobArenaTests {
    /// A node's properties, different for every `number`.
    static func properties(_ number: Int) -> [String: PropertyValue] {
        ["name": .string("node \(number)"), "number": .int(Int64(number)), "even": .bool(number % 2 == 0)]
    }

    /// An empty store whose created records' bytes come from `pool`.
    static func store(drawingFrom pool: BlockPool) -> GraphStore {
        var store = GraphStore()
        store.blobArena = BlobArena(pool: pool)
        return store
    }

    @Test("copies of a store creating nodes from the same version each keep their own properties")
    func siblingCopiesCreate() throws {
        var base = GraphStore()
        var events: [MutationEvent] = []
        for number in 0..<10 { try base.createNode(labels: ["N"], properties: Self.properties(number), events: &events) }
        var left = base
        var right = base
        // Both claim room in the block `base` was filling.
        for number in 10..<500 {
            try left.createNode(labels: ["N"], properties: Self.properties(number), events: &events)
            try right.createNode(labels: ["N"], properties: Self.properties(-number), events: &events)
        }
        for number in 0..<500 {
            let expected = number < 10 ? number : -number
            #expect(left.node(NodeID(UInt64(number)))?.properties == Self.properties(number))
            #expect(right.node(NodeID(UInt64(number)))?.properties == Self.properties(expected))
        }
        for number in 0..<10 { #expect(base.node(NodeID(UInt64(number)))?.properties == Self.properties(number)) }
        #expect(base.nodeCount == 10)
    }

    @Test("copies creating nodes on several threads at once never share a byte", arguments: [1, 5])
    func copiesOnThreads(round: Int) throws {
        var first = GraphStore()
        var events: [MutationEvent] = []
        try first.createNode(properties: Self.properties(0), events: &events)
        let base = first
        let threads = 8
        let perThread = 3_000
        let mismatches = ProblemCount()
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            var copy = base
            var events: [MutationEvent] = []
            for index in 0..<perThread {
                let number = (thread + 1) * 1_000_000 + index * round
                do {
                    try copy.createNode(properties: Self.properties(number), events: &events)
                } catch {
                    mismatches.add()
                }
            }
            for index in 0..<perThread {
                let number = (thread + 1) * 1_000_000 + index * round
                if copy.node(NodeID(UInt64(index + 1)))?.properties != Self.properties(number) { mismatches.add() }
            }
        }
        #expect(mismatches.value == 0)
        #expect(base.node(NodeID(0))?.properties == Self.properties(0))
    }

    @Test("a created record's bytes share a block; an update's and a large value's have memory of their own")
    func placement() throws {
        var store = GraphStore()
        var events: [MutationEvent] = []
        let small = try store.createNode(properties: Self.properties(1), events: &events)
        let large = try store.createNode(
            properties: ["text": .string(String(repeating: "x", count: BlobArena.largestPlaced + 1))], events: &events)
        let bare = try store.createNode(events: &events)
        #expect(store.nodeRecords[small.rawValue]?.properties.isInSharedBlock == true)
        #expect(store.nodeRecords[large.rawValue]?.properties.isInSharedBlock == false)
        #expect(store.nodeRecords[bare.rawValue]?.properties.isEmpty == true)
        try store.setNodeProperty(small, key: "number", value: .int(2), events: &events)
        #expect(store.nodeRecords[small.rawValue]?.properties.isInSharedBlock == false)
        #expect(store.node(small)?.properties["number"] == .int(2))
        let relationship = try store.createRelationship(
            type: "R", from: small, to: bare, properties: ["weight": .double(0.5)], events: &events)
        #expect(store.relationshipRecords[relationship.rawValue]?.properties.isInSharedBlock == true)
    }

    @Test("blobs compare by their bytes wherever they are")
    func equalityAcrossPlacements() {
        var keys = NameTable()
        let own = PropertyBlob(Self.properties(7), keys: &keys)
        var arena = BlobArena(pool: BlockPool(mapsAhead: false))
        let shared = own.withUnsafeBytes { PropertyBlob(copying: $0, in: &arena) }
        #expect(shared.isInSharedBlock)
        #expect(!own.isInSharedBlock)
        #expect(shared == own)
        #expect(shared.bytes == own.bytes)
        #expect(shared != PropertyBlob(Self.properties(8), keys: &keys))
        #expect(PropertyBlob.empty == PropertyBlob(bytes: []))
    }

    @Test("a write that does not fill exactly the room it asked for is refused, in a block and alone")
    func inexactWritesRefused() {
        var arena = BlobArena(pool: BlockPool(mapsAhead: false))
        let own = OwnMemory()
        let short: (inout ByteWriter) -> Void = { $0.appendByte(1) }
        let long: (inout ByteWriter) -> Void = { writer in for _ in 0..<3 { writer.appendByte(1) } }
        #expect(arena.place(count: 2, short) == nil)
        #expect(arena.place(count: 2, long) == nil)
        #expect(own.place(count: 2, short) == nil)
        #expect(own.place(count: 2, long) == nil)
        let exact = arena.place(count: 2) { writer in writer.appendByte(1); writer.appendByte(2) }
        #expect(exact?.bytes == [1, 2])
        // The encoders' way out: what was written, whatever was asked.
        #expect(arena.placeOrRewrite(count: 2, short).bytes == [1])
        #expect(arena.placeOrRewrite(count: 2, long).bytes == [1, 1, 1])
        let large: (inout ByteWriter) -> Void = { writer in for _ in 0..<1000 { writer.appendByte(9) } }
        #expect(arena.placeOrRewrite(count: 10, large).bytes == [UInt8](repeating: 9, count: 1000))
    }

    @Test("a block goes back to its pool when its last blob goes, and is handed out again")
    func blocksReturn() throws {
        let pool = BlockPool(mapsAhead: false)
        var store = Self.store(drawingFrom: pool)
        var events: [MutationEvent] = []
        var ids: [NodeID] = []
        for number in 0..<2_000 { ids.append(try store.createNode(properties: Self.properties(number), events: &events)) }
        #expect(pool.chunkCount == 1)
        #expect(pool.returnedCount == 0)
        let filled = pool.blocksInUse
        #expect(filled > 1)
        do {
            let kept = store
            for id in ids { try store.deleteNode(id, events: &events) }
            // The kept version still holds every blob.
            #expect(pool.returnedCount == 0)
            #expect(kept.node(ids[1_999])?.properties == Self.properties(1_999))
        }
        // With it gone, and the store replaced (and with it the block being
        // filled), every block is back.
        store = GraphStore()
        let returned = pool.returnedCount
        #expect(returned == filled)
        #expect(pool.blocksInUse == 0)
        store = Self.store(drawingFrom: pool)
        for number in 0..<2_000 { try store.createNode(properties: Self.properties(number), events: &events) }
        // The same blocks again, no new memory.
        #expect(pool.chunkCount == 1)
        #expect(pool.returnedCount == 0)
        #expect(pool.blocksInUse == filled)
    }

    @Test("chunks whose blocks all came back are unmapped, but for one kept for the next creations")
    func emptiedChunksUnmapped() throws {
        let pool = BlockPool(mapsAhead: false)
        var store = Self.store(drawingFrom: pool)
        var events: [MutationEvent] = []
        // About eight nodes a block, so a chunk holds some four thousand.
        let text = String(repeating: "t", count: 500)
        for number in 0..<13_000 {
            try store.createNode(properties: ["text": .string(text), "number": .int(Int64(number))], events: &events)
        }
        #expect(pool.chunkCount >= 3)
        store = GraphStore()
        #expect(pool.blocksInUse == 0)
        // The chunk being carved, and one kept.
        #expect(pool.chunkCount == 2)
        store = Self.store(drawingFrom: pool)
        for number in 0..<13_000 {
            try store.createNode(properties: ["text": .string(text), "number": .int(Int64(number))], events: &events)
        }
        #expect(store.node(NodeID(12_999))?.properties["number"] == .int(12_999))
        #expect(pool.chunkCount >= 3)
    }

    @Test("the next chunk is mapped ahead, half way through the current one")
    func chunkMappedAhead() async throws {
        let pool = BlockPool()
        let perChunk = BlockPool.chunkSize / BlockPool.blockSize
        var blocks: [UnsafeMutableRawPointer] = []
        for _ in 0..<(perChunk / 2) { blocks.append(try #require(pool.takeBlock())) }
        var waited = 0
        while !pool.hasReadyChunk, waited < 1_000 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 1
        }
        #expect(pool.hasReadyChunk)
        #expect(pool.chunkCount == 2)
        // The rest of the first chunk, then the one mapped ahead.
        for _ in (perChunk / 2)..<(perChunk + 1) { blocks.append(try #require(pool.takeBlock())) }
        #expect(!pool.hasReadyChunk || pool.chunkCount == 3)
        // Every block is distinct, and its memory writable.
        #expect(Set(blocks).count == blocks.count)
        for block in blocks { block.storeBytes(of: 0xAB, as: UInt8.self) }
        for block in blocks { pool.giveBack(block) }
        // The first chunk emptied, kept for next; the one being carved stays.
        #expect(pool.blocksInUse == 0)
        #expect(pool.chunkCount == 2)
        #expect(pool.hasReadyChunk)
    }
}

/// A count several threads add to.
private final class ProblemCount: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .acquiring) }
}
