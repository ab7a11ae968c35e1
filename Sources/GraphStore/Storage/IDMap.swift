/// A map from ids to values in ascending id order, in chunks of up to 256 consecutive ids.
///
/// Why not `Dictionary`: the store is a copy-on-write value, and the
/// database layer keeps the old value of the store to roll a transaction
/// back. With one dictionary the first write after such a copy duplicates
/// every entity; here it duplicates the outer array of chunks (k references)
/// and the one chunk touched (at most 256 entries). Ids are handed out in
/// ascending order, so chunks fill up at the end, and paging by id needs
/// no sorting.
///
/// Complexity (n entries, k ≤ n chunks): lookup, update and remove
/// O(log k + log 256); inserting the highest id so far O(1) amortised;
/// inserting elsewhere O(log k + 256), plus O(k) when a new chunk goes in the
/// middle; iteration from a given id O(log k) to start, then O(1) per entry.
struct IDMap<Value> {
    struct Entry {
        var id: UInt64
        var value: Value
    }

    struct Chunk {
        /// `id >> 8` for every entry of the chunk.
        var base: UInt64
        /// Sorted by id; never empty while stored.
        var entries: [Entry]
    }

    private(set) var chunks: [Chunk] = []
    private(set) var count = 0

    static var chunkShift: UInt64 { 8 }

    var isEmpty: Bool { count == 0 }

    private func chunkIndex(base: UInt64) -> (index: Int, found: Bool) {
        if let last = chunks.last {
            if last.base == base { return (chunks.count - 1, true) }
            if last.base < base { return (chunks.count, false) }
        }
        var low = 0
        var high = chunks.count
        while low < high {
            let middle = (low + high) / 2
            if chunks[middle].base < base { low = middle + 1 } else { high = middle }
        }
        return (low, low < chunks.count && chunks[low].base == base)
    }

    private static func entryIndex(_ id: UInt64, in entries: [Entry]) -> (index: Int, found: Bool) {
        if let last = entries.last, last.id < id { return (entries.count, false) }
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].id < id { low = middle + 1 } else { high = middle }
        }
        return (low, low < entries.count && entries[low].id == id)
    }

    /// Where `id` lives: chunk index and entry index, if present.
    private func location(of id: UInt64) -> (chunk: Int, entry: Int)? {
        let (chunk, chunkFound) = chunkIndex(base: id >> Self.chunkShift)
        guard chunkFound else { return nil }
        let (entry, entryFound) = Self.entryIndex(id, in: chunks[chunk].entries)
        return entryFound ? (chunk, entry) : nil
    }

    subscript(id: UInt64) -> Value? {
        guard let (chunk, entry) = location(of: id) else { return nil }
        return chunks[chunk].entries[entry].value
    }

    func contains(_ id: UInt64) -> Bool { location(of: id) != nil }

    /// Adds `value` under `id`; returns false (and changes nothing) if `id` is taken.
    @discardableResult
    mutating func insert(_ value: Value, for id: UInt64) -> Bool {
        let base = id >> Self.chunkShift
        let (chunk, chunkFound) = chunkIndex(base: base)
        guard chunkFound else {
            chunks.insert(Chunk(base: base, entries: [Entry(id: id, value: value)]), at: chunk)
            count += 1
            return true
        }
        let (entry, entryFound) = Self.entryIndex(id, in: chunks[chunk].entries)
        guard !entryFound else { return false }
        chunks[chunk].entries.insert(Entry(id: id, value: value), at: entry)
        count += 1
        return true
    }

    /// Runs `body` on the value under `id` in place; nil if there is none.
    ///
    /// In place matters: the value's own collections are not copied when this
    /// map holds the only reference to them.
    mutating func update<Result, Failure: Error>(
        _ id: UInt64, _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        guard let (chunk, entry) = location(of: id) else { return nil }
        return try body(&chunks[chunk].entries[entry].value)
    }

    /// Removes and returns the value under `id`.
    @discardableResult
    mutating func remove(_ id: UInt64) -> Value? {
        guard let (chunk, entry) = location(of: id) else { return nil }
        let removed = chunks[chunk].entries.remove(at: entry)
        // Empty chunks are dropped so that equal maps have equal chunk arrays.
        if chunks[chunk].entries.isEmpty { chunks.remove(at: chunk) }
        count -= 1
        return removed.value
    }

    mutating func removeAll() {
        chunks = []
        count = 0
    }

    /// The highest id present.
    var lastID: UInt64? { chunks.last?.entries.last?.id }

    /// The entries with ids greater than `after` (all when nil), ascending.
    func entries(after: UInt64? = nil) -> Iterator {
        guard let after else { return Iterator(chunks: chunks, chunk: 0, entry: 0) }
        guard after < UInt64.max else { return Iterator(chunks: chunks, chunk: chunks.count, entry: 0) }
        let start = after + 1
        let (chunk, found) = chunkIndex(base: start >> Self.chunkShift)
        guard found else { return Iterator(chunks: chunks, chunk: chunk, entry: 0) }
        let (entry, _) = Self.entryIndex(start, in: chunks[chunk].entries)
        return Iterator(chunks: chunks, chunk: chunk, entry: entry)
    }

    struct Iterator: IteratorProtocol, Sequence {
        let chunks: [Chunk]
        var chunk: Int
        var entry: Int

        mutating func next() -> Entry? {
            while chunk < chunks.count {
                let entries = chunks[chunk].entries
                if entry < entries.count {
                    defer { entry += 1 }
                    return entries[entry]
                }
                chunk += 1
                entry = 0
            }
            return nil
        }
    }
}

extension IDMap: Sequence {
    func makeIterator() -> Iterator { entries() }
    var underestimatedCount: Int { count }
}

extension IDMap.Entry: Equatable where Value: Equatable {}
extension IDMap.Chunk: Equatable where Value: Equatable {}
extension IDMap: Equatable where Value: Equatable {}
extension IDMap.Entry: Sendable where Value: Sendable {}
extension IDMap.Chunk: Sendable where Value: Sendable {}
extension IDMap: Sendable where Value: Sendable {}
