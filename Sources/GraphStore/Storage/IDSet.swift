/// A set of ids in ascending order, stored as 64-bit bitmaps over runs of 64 ids.
///
/// Why not `Set<UInt64>`: the label index must page by id (`after:`,
/// `limit:`) without sorting, and the store is a copy-on-write value whose
/// write transactions copy whatever they touch. Here the chunks are plain
/// 16-byte values in one sorted array, so a copy is a `memcpy` with no
/// reference counting, and ids handed out in order land at the end.
///
/// Complexity (n ids, k = number of non-empty chunks ≤ n):
/// `contains` O(log k); `insert`/`remove` O(log k), plus O(k) when a chunk
/// appears or disappears in the middle (appending a new highest id is O(1));
/// iterating from a given id O(log k) to start, then O(1) amortised per id.
struct IDSet: Sendable, Equatable {
    struct Chunk: Sendable, Equatable {
        /// `id >> 6` for every id in the chunk.
        var base: UInt64
        /// Bit `id & 63` is set when `id` is in the set; never zero while stored.
        var bits: UInt64
    }

    private(set) var chunks: [Chunk] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// The index of the chunk for `base`, or where it would be inserted.
    private func chunkIndex(base: UInt64) -> (index: Int, found: Bool) {
        // New ids are the highest so far: check the end before searching.
        if let last = chunks.last, last.base < base { return (chunks.count, false) }
        var low = 0
        var high = chunks.count
        while low < high {
            let middle = (low + high) / 2
            if chunks[middle].base < base { low = middle + 1 } else { high = middle }
        }
        return (low, low < chunks.count && chunks[low].base == base)
    }

    func contains(_ id: UInt64) -> Bool {
        let (index, found) = chunkIndex(base: id >> 6)
        return found && chunks[index].bits & (1 << (id & 63)) != 0
    }

    /// Adds `id`; returns whether it was absent.
    @discardableResult
    mutating func insert(_ id: UInt64) -> Bool {
        let bit: UInt64 = 1 << (id & 63)
        let (index, found) = chunkIndex(base: id >> 6)
        if found {
            guard chunks[index].bits & bit == 0 else { return false }
            chunks[index].bits |= bit
        } else {
            chunks.insert(Chunk(base: id >> 6, bits: bit), at: index)
        }
        count += 1
        return true
    }

    /// Removes `id`; returns whether it was present.
    @discardableResult
    mutating func remove(_ id: UInt64) -> Bool {
        let bit: UInt64 = 1 << (id & 63)
        let (index, found) = chunkIndex(base: id >> 6)
        guard found, chunks[index].bits & bit != 0 else { return false }
        chunks[index].bits &= ~bit
        // Empty chunks are dropped so that equal sets have equal chunk arrays.
        if chunks[index].bits == 0 { chunks.remove(at: index) }
        count -= 1
        return true
    }

    /// The ids greater than `after` (all of them when `after` is nil), ascending.
    func ids(after: UInt64? = nil) -> Iterator {
        guard let after else { return Iterator(chunks: chunks, index: 0, pending: chunks.first?.bits ?? 0) }
        guard after < UInt64.max else { return Iterator(chunks: chunks, index: chunks.count, pending: 0) }
        let start = after + 1
        let (index, found) = chunkIndex(base: start >> 6)
        guard found else {
            return Iterator(chunks: chunks, index: index, pending: index < chunks.count ? chunks[index].bits : 0)
        }
        // Keep only the bits at or above `start` in its chunk.
        let mask = ~((1 << (start & 63)) - 1) as UInt64
        return Iterator(chunks: chunks, index: index, pending: chunks[index].bits & mask)
    }

    /// Walks the ids in ascending order, one chunk's remaining bits at a time.
    struct Iterator: IteratorProtocol, Sequence {
        let chunks: [Chunk]
        var index: Int
        var pending: UInt64

        mutating func next() -> UInt64? {
            while index < chunks.count {
                if pending != 0 {
                    let bit = UInt64(pending.trailingZeroBitCount)
                    pending &= pending - 1
                    return chunks[index].base << 6 | bit
                }
                index += 1
                pending = index < chunks.count ? chunks[index].bits : 0
            }
            return nil
        }
    }
}

extension IDSet: Sequence {
    func makeIterator() -> Iterator { ids() }
    var underestimatedCount: Int { count }
}
