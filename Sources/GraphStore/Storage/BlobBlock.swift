import Synchronization

/// A pooled block that many records' property bytes are appended to.
///
/// Why blocks: a node's properties were an array of their own, about 100
/// bytes of values behind a 32-byte header, rounded up by malloc to 144 or
/// 160, and one allocation per created node. In a shared block they cost
/// their own size, and the block comes from ``BlockPool``, which maps its
/// memory ahead on another thread: a growing graph's committing thread no
/// longer pays for the first touch of most of the memory it fills.
///
/// How versions share a block safely (as ``TailRun`` does for slots):
/// bytes are claimed through the atomic `used`, written once by the one
/// version that claimed them, and reachable from another version only
/// through a record made after they were written. A claim that fails
/// (the block is full) sends the caller to a new block; nothing that is
/// written is ever moved or changed.
///
/// A block lives as long as any blob in it: every blob holds a reference.
/// Bytes of a blob that no version holds any more (its node deleted, or
/// created by a transaction that was rolled back) stay until the block
/// goes; blobs written by updates get memory of their own (``OwnBlob``,
/// see ``BlobArena``) so that updating a property does not leave its old
/// bytes behind in a block another node keeps alive.
final class BlobBlock {
    /// The first byte.
    let base: UnsafeMutableRawPointer
    /// How many bytes the block holds.
    let capacity: Int
    /// How many bytes, from the first, have been claimed.
    private let used: Atomic<Int>
    /// The pool `base` is a block of, given back there.
    private let pool: BlockPool

    /// A block of the pool, or nil when the pool could not map memory.
    init?(pooledFrom pool: BlockPool = .shared) {
        guard let block = pool.takeBlock() else { return nil }
        base = block
        capacity = BlockPool.blockSize
        used = Atomic(0)
        self.pool = pool
    }

    deinit {
        pool.giveBack(base)
    }

    /// Claims the next `count` bytes; their offset, or nil when they do not fit.
    @inline(__always)
    func claim(_ count: Int) -> Int? {
        var current = used.load(ordering: .relaxed)
        while count <= capacity - current {
            let (exchanged, original) = used.compareExchange(
                expected: current, desired: current + count, ordering: .relaxed)
            if exchanged { return current }
            current = original
        }
        return nil
    }
}

/// `@unchecked`: bytes are written once, by the one version that claimed
/// them through the atomic `used`, before any other version can reach
/// them; written bytes never change.
extension BlobBlock: @unchecked Sendable {}

/// One blob's bytes alone, in the object itself (its count the header):
/// an updated record's properties, a value over ``BlobArena/largestPlaced``,
/// and blobs made without a store. One allocation, no array header: 24
/// bytes before the values.
final class OwnBlob: ManagedBuffer<Int, UInt8> {
    /// Memory for `count` bytes, which the caller writes before sharing it.
    static func make(count: Int) -> OwnBlob {
        unsafeDowncast(OwnBlob.create(minimumCapacity: count) { _ in count }, to: OwnBlob.self)
    }

    /// The first byte; valid while the object lives.
    var base: UnsafeMutableRawPointer {
        withUnsafeMutablePointerToElements { UnsafeMutableRawPointer($0) }
    }

    /// How many bytes the blob is.
    var count: Int { header }
}
