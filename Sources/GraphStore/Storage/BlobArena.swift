/// Where a store puts the property bytes of the records it creates: the
/// pooled block it is filling, shared by the store's copies.
///
/// Created records' bytes go here. An update's bytes go to memory of
/// their own (``PropertyBlob``'s `replacing`), because an updated node's
/// old bytes would otherwise stay in the block as long as any other node
/// in it lives: what a block can waste is bounded by what was created
/// into it, not by how often its nodes change.
struct BlobArena: Sendable {
    private let pool: BlockPool
    /// The block being filled; nil before the first blob.
    private var block: BlobBlock?

    /// Blobs above this size get memory of their own: a block holds a few
    /// dozen typical ones, and a large one would waste most of a block.
    static var largestPlaced: Int { BlockPool.blockSize / 4 }

    init(pool: BlockPool = .shared) {
        self.pool = pool
    }

    /// Room for `count` bytes (at most ``largestPlaced``) in the block,
    /// or in a new one when it is full: the block and the offset. Nil when
    /// the pool has no memory to give.
    @inline(__always)
    mutating func room(for count: Int) -> (block: BlobBlock, offset: Int)? {
        if let block, let offset = block.claim(count) { return (block, offset) }
        return roomInNewBlock(for: count)
    }

    @inline(never)
    private mutating func roomInNewBlock(for count: Int) -> (block: BlobBlock, offset: Int)? {
        guard let fresh = BlobBlock(pooledFrom: pool) else { return nil }
        block = fresh
        return fresh.claim(count).map { (fresh, $0) }
    }
}
