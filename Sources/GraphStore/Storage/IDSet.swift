/// A persistent set of ids in ascending order: 64-bit bitmaps over runs of
/// 64 ids, kept in an ``IDMap`` keyed by `id >> 6`.
///
/// Persistent for the same reason as ``IDMap``: a label's node set and a
/// node's adjacency are shared with the version readers see, and a write
/// that adds one id copies one path of the trie, not the set. Adding the
/// millionth relationship to a hub node costs what adding the first did,
/// give or take a level. Ids handed out in order fill the bitmaps densely,
/// so a set of dense ids costs about a bit and a half per id.
///
/// Complexity (n ids, d the trie's depth): `contains` O(d); `insert` and
/// `remove` O(32·d) when the path is shared, O(d) when owned; iterating
/// from a given id O(d) to start, then O(1) amortised per id.
struct IDSet: Sendable, Equatable {
    /// Bit `id & 63` of the word under `id >> 6` is set when `id` is in the
    /// set; words are never zero while stored.
    private(set) var words = IDMap<UInt64>()
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    func contains(_ id: UInt64) -> Bool {
        guard let word = words[id >> 6] else { return false }
        return word & (1 << (id & 63)) != 0
    }

    /// Adds `id`; returns whether it was absent.
    @discardableResult
    mutating func insert(_ id: UInt64) -> Bool {
        let bit: UInt64 = 1 << (id & 63)
        let added = words.update(id >> 6) { word -> Bool in
            guard word & bit == 0 else { return false }
            word |= bit
            return true
        }
        switch added {
        case true?: count += 1
        case false?: return false
        case nil:
            words.insert(bit, for: id >> 6)
            count += 1
        }
        return true
    }

    /// Removes `id`; returns whether it was present.
    @discardableResult
    mutating func remove(_ id: UInt64) -> Bool {
        let bit: UInt64 = 1 << (id & 63)
        guard let word = words[id >> 6], word & bit != 0 else { return false }
        // Empty words are dropped so that equal sets have equal tries.
        if word == bit {
            words.remove(id >> 6)
        } else {
            words.update(id >> 6) { $0 &= ~bit }
        }
        count -= 1
        return true
    }

    /// Adds the ids whose bits are set in `word`, the word under `key`
    /// (ids `key << 6` to `key << 6 + 63`): 64 ids for the price of one insert.
    mutating func insertWord(_ word: UInt64, at key: UInt64) {
        guard word != 0 else { return }
        let added = words.update(key) { existing -> Int in
            let before = existing.nonzeroBitCount
            existing |= word
            return existing.nonzeroBitCount - before
        }
        if let added {
            count += added
        } else {
            words.insert(word, for: key)
            count += word.nonzeroBitCount
        }
    }

    /// The ids in either set. O(words of `other` · d).
    func union(_ other: IDSet) -> IDSet {
        var result = self
        for entry in other.words { result.insertWord(entry.value, at: entry.id) }
        return result
    }

    /// The smallest id. O(d).
    var first: UInt64? {
        var iterator = ids()
        return iterator.next()
    }

    /// The ids greater than `after` (all of them when `after` is nil), ascending.
    func ids(after: UInt64? = nil) -> Iterator {
        guard let after else { return Iterator(words: words.entries(), base: 0, pending: 0) }
        guard after < UInt64.max else { return Iterator(words: IDMap<UInt64>().entries(), base: 0, pending: 0) }
        let start = after + 1
        // The word holding `start` (if any) comes first, with the bits below `start` cleared.
        let first = start >> 6
        let words = self.words.entries(after: first == 0 ? nil : first - 1)
        let mask = ~((1 << (start & 63)) - 1) as UInt64
        var iterator = Iterator(words: words, base: 0, pending: 0)
        iterator.firstMask = (first, mask)
        return iterator
    }

    /// Walks the ids in ascending order, one word's remaining bits at a time.
    struct Iterator: IteratorProtocol, Sequence {
        var words: IDMap<UInt64>.Iterator
        var base: UInt64
        var pending: UInt64
        /// Bits to clear from the word under this key, when it comes first.
        var firstMask: (key: UInt64, mask: UInt64)? = nil

        mutating func next() -> UInt64? {
            while pending == 0 {
                guard let word = words.next() else { return nil }
                base = word.id << 6
                pending = word.value
                if let (key, mask) = firstMask {
                    if word.id == key { pending &= mask }
                    firstMask = nil
                }
            }
            let bit = UInt64(pending.trailingZeroBitCount)
            pending &= pending - 1
            return base | bit
        }
    }
}

extension IDSet: Sequence {
    func makeIterator() -> Iterator { ids() }
    var underestimatedCount: Int { count }
}
