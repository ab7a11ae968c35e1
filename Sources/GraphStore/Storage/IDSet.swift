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
/// `remove` O(32·d) when the path is shared, O(d) when owned, O(1) in the
/// tail word; iterating from a given id O(d) to start, then O(1) amortised
/// per id.
///
/// The word of the highest ids lives inline, outside the trie (`tailKey`,
/// `tailWord`): ids handed out in order (a label's new nodes, a node's new
/// relationships) set bits in it without touching the trie, which gets a
/// word once its 64 ids are passed.
struct IDSet: Sendable {
    /// Bit `id & 63` of the word under `id >> 6` is set when `id` is in the
    /// set; words are never zero while stored. Every key is below
    /// `tailKey` while `tailWord` is not zero.
    private(set) var words = IDMap<UInt64>()
    private(set) var count = 0
    /// The word of the highest ids, under `tailKey`; zero when there is none.
    private var tailWord: UInt64 = 0
    private var tailKey: UInt64 = 0

    var isEmpty: Bool { count == 0 }

    func contains(_ id: UInt64) -> Bool {
        let key = id >> 6
        let word = tailWord != 0 && key == tailKey ? tailWord : words[key] ?? 0
        return word & (1 << (id & 63)) != 0
    }

    /// Adds `id`; returns whether it was absent.
    @discardableResult
    mutating func insert(_ id: UInt64) -> Bool {
        let key = id >> 6
        let bit: UInt64 = 1 << (id & 63)
        if tailWord != 0 ? key >= tailKey : words.lastID.map({ key > $0 }) ?? true {
            if tailWord != 0 && key == tailKey {
                guard tailWord & bit == 0 else { return false }
                tailWord |= bit
            } else {
                moveTailWordIntoTrie()
                tailKey = key
                tailWord = bit
            }
            count += 1
            return true
        }
        let added = words.update(key) { word -> Bool in
            guard word & bit == 0 else { return false }
            word |= bit
            return true
        }
        switch added {
        case true?: count += 1
        case false?: return false
        case nil:
            words.insert(bit, for: key)
            count += 1
        }
        return true
    }

    /// Removes `id`; returns whether it was present.
    @discardableResult
    mutating func remove(_ id: UInt64) -> Bool {
        let key = id >> 6
        let bit: UInt64 = 1 << (id & 63)
        if tailWord != 0 && key == tailKey {
            guard tailWord & bit != 0 else { return false }
            tailWord &= ~bit
            count -= 1
            return true
        }
        guard let word = words[key], word & bit != 0 else { return false }
        // Empty words are dropped so that no stored word is zero.
        if word == bit {
            words.remove(key)
        } else {
            words.update(key) { $0 &= ~bit }
        }
        count -= 1
        return true
    }

    /// Adds the ids whose bits are set in `word`, the word under `key`
    /// (ids `key << 6` to `key << 6 + 63`): 64 ids for the price of one insert.
    mutating func insertWord(_ word: UInt64, at key: UInt64) {
        guard word != 0 else { return }
        if tailWord != 0 {
            if key == tailKey {
                count += (tailWord | word).nonzeroBitCount - tailWord.nonzeroBitCount
                tailWord |= word
                return
            }
            if key > tailKey { moveTailWordIntoTrie() }
        }
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

    /// Hands the tail word to the trie, leaving no tail.
    private mutating func moveTailWordIntoTrie() {
        guard tailWord != 0 else { return }
        words.insert(tailWord, for: tailKey)
        tailWord = 0
    }

    /// The ids in either set. O(words of `other` · d).
    func union(_ other: IDSet) -> IDSet {
        var result = self
        for entry in other.words { result.insertWord(entry.value, at: entry.id) }
        result.insertWord(other.tailWord, at: other.tailKey)
        return result
    }

    /// The smallest id. O(d).
    var first: UInt64? {
        var iterator = ids()
        return iterator.next()
    }

    /// The ids greater than `after` (all of them when `after` is nil), ascending.
    func ids(after: UInt64? = nil) -> Iterator {
        let tail = tailWord == 0 ? nil : (key: tailKey, word: tailWord)
        guard let after else { return Iterator(words: words.entries(), tail: tail, start: 0) }
        guard after < UInt64.max else { return Iterator(words: IDMap<UInt64>().entries(), tail: nil, start: 0) }
        let start = after + 1
        // The word holding `start` (if any) comes first.
        let first = start >> 6
        return Iterator(words: words.entries(after: first == 0 ? nil : first - 1), tail: tail, start: start)
    }

    /// Walks the ids in ascending order, one word's remaining bits at a
    /// time: the trie's words, then the tail word.
    struct Iterator: IteratorProtocol, Sequence {
        var words: IDMap<UInt64>.Iterator
        var tail: (key: UInt64, word: UInt64)?
        /// Ids below this one are skipped.
        let start: UInt64
        var base: UInt64 = 0
        var pending: UInt64 = 0

        init(words: IDMap<UInt64>.Iterator, tail: (key: UInt64, word: UInt64)?, start: UInt64) {
            self.words = words
            self.tail = tail
            self.start = start
        }

        mutating func next() -> UInt64? {
            while pending == 0 {
                let key: UInt64
                if let entry = words.next() {
                    key = entry.id
                    pending = entry.value
                } else if let (tailKey, tailWord) = tail.take() {
                    key = tailKey
                    pending = tailWord
                } else {
                    return nil
                }
                base = key << 6
                let startKey = start >> 6
                if key < startKey { pending = 0 } else if key == startKey { pending &= ~((1 << (start & 63)) - 1) }
            }
            let bit = UInt64(pending.trailingZeroBitCount)
            pending &= pending - 1
            return base | bit
        }
    }
}

extension IDSet: Equatable {
    /// Equal ids; O(1) when both share their words and tail, O(n) otherwise.
    static func == (left: IDSet, right: IDSet) -> Bool {
        guard left.count == right.count else { return false }
        if left.words.isIdentical(to: right.words) && left.tailWord == right.tailWord
            && (left.tailWord == 0 || left.tailKey == right.tailKey)
        {
            return true
        }
        return left.elementsEqual(right)
    }
}

extension IDSet: Sequence {
    func makeIterator() -> Iterator { ids() }
    var underestimatedCount: Int { count }
}
