/// A persistent map from ids to values in ascending id order: a radix trie
/// taking five bits of the id per level, whose nodes are shared between
/// copies and copied only along the path a write takes.
///
/// Why a trie and not `Dictionary` or one sorted array of chunks: the store
/// is a value, and every write transaction starts from a copy that shares
/// everything with the version readers see. A write here copies the nodes
/// on the path from the root to the one leaf it touches (at most 13 nodes
/// of at most 32 slots; 5 for ten million dense ids) and nothing else, so
/// its cost depends on the depth, O(log₃₂ n), not on the size of the map.
/// An old version costs nothing to keep: what a write did not touch it
/// shares. Ids are the trie's keys, so iteration is in id order and paging
/// from an id needs no sort (`TreeDictionary` hashes its keys, which loses
/// that order).
///
/// Each node keeps a 32-bit bitmap of the digits present and a compact
/// array of just those children (or, in a leaf, entries), the array index
/// being the number of set bits below the digit: sparse ids cost no empty
/// slots, and dense ids fill leaves of 32.
///
/// The newest entries, those with ids above every id in the trie, wait in
/// a ``TailRun`` that copies of the map share and append to in place: a
/// creation with a new highest id writes one slot, and the trie takes the
/// run's entries when it is full, one path copy per 32 appends instead of
/// one per append.
///
/// Complexity (n entries, depth d = ⌈log₃₂(largest id + 1)⌉ ≤ 13): lookup
/// O(d); appending an id above every other O(1) amortised; other inserts,
/// updates and removals O(32·d) for the path copy (O(d) when this copy owns
/// the path already), O(32) in the tail; iteration O(d) to start, then
/// O(1) amortised per entry.
struct IDMap<Value> {
    struct Entry {
        var id: UInt64
        var value: Value
    }

    // Two references, a count and two bytes: 32 bytes in all, which
    // matters because every node with relationships holds two id sets.

    /// Nil when the trie is empty.
    private var root: TrieNode<Value>?
    /// The entries above every id in the trie: the first `tailCount` slots
    /// of `tail`. Nil when `tailCount` is 0.
    private var tail: TailRun<Value>?
    /// Entries in the trie.
    private var trieCount = 0
    private var storedHeight: UInt8 = 0
    private var storedTailCount: UInt8 = 0

    /// Levels above the leaves: the root covers ids below `1 << (bits · (height + 1))`.
    private var height: Int {
        get { Int(storedHeight) }
        set { storedHeight = UInt8(truncatingIfNeeded: newValue) }
    }
    /// At most ``TailRun/maximumCapacity``.
    private var tailCount: Int {
        get { Int(storedTailCount) }
        set { storedTailCount = UInt8(truncatingIfNeeded: newValue) }
    }

    var count: Int { trieCount + tailCount }
    var isEmpty: Bool { count == 0 }

    static var bits: Int { 5 }
    static var mask: UInt64 { (1 << UInt64(bits)) - 1 }

    /// The digit of `id` at `level` (0 for the leaves).
    @inline(__always)
    static func digit(_ id: UInt64, level: Int) -> UInt32 {
        let shift = bits * level
        return shift >= 64 ? 0 : UInt32(truncatingIfNeeded: (id >> UInt64(shift)) & mask)
    }

    /// Whether a trie of `height` levels above its leaves can hold `id`.
    private static func fits(_ id: UInt64, height: Int) -> Bool {
        let shift = bits * (height + 1)
        return shift >= 64 || id >> UInt64(shift) == 0
    }

    /// The node holding `id` in the trie and its position in that node, if present.
    private func location(of id: UInt64) -> (leaf: TrieNode<Value>, index: Int)? {
        guard var node = root, Self.fits(id, height: height) else { return nil }
        var level = height
        while true {
            guard let index = node.index(of: Self.digit(id, level: level)) else { return nil }
            if level == 0 { return (node, index) }
            node = node.children[index]
            level -= 1
        }
    }

    /// The tail, when `id` belongs in it (is not below its first entry).
    @inline(__always)
    private func tailHolding(_ id: UInt64) -> TailRun<Value>? {
        guard tailCount > 0, let tail, id >= tail.slots[0].id else { return nil }
        return tail
    }

    /// The position of `id` in the tail, when it is there.
    private func tailIndex(of id: UInt64) -> Int? {
        guard let tail = tailHolding(id) else { return nil }
        let index = tail.lowerBound(of: id, count: tailCount)
        return index < tailCount && tail.slots[index].id == id ? index : nil
    }

    subscript(id: UInt64) -> Value? {
        if let tail = tailHolding(id) {
            return tailIndex(of: id).map { tail.slots[$0].value }
        }
        guard let (leaf, index) = location(of: id) else { return nil }
        return leaf.entries[index].value
    }

    func contains(_ id: UInt64) -> Bool {
        if tailHolding(id) != nil { return tailIndex(of: id) != nil }
        return location(of: id) != nil
    }

    /// Adds `value` under `id`; returns false (and changes nothing) if `id` is taken.
    @discardableResult
    mutating func insert(_ value: consuming Value, for id: UInt64) -> Bool {
        // Consumed and moved along, not copied: a copy of a record retains
        // its references and dropping the original releases them again.
        let entry = Entry(id: id, value: value)
        guard let last = lastID, id <= last else {
            append(consume entry)
            return true
        }
        if tailHolding(id) != nil {
            // Taken: nothing to copy or change.
            if tailIndex(of: id) != nil { return false }
            if let tail = uniqueTail(), tailCount < tail.capacity {
                // Shift the entries above up by one; this map owns the run.
                let index = tail.lowerBound(of: id, count: tailCount)
                (tail.slots + index + 1).moveInitialize(from: tail.slots + index, count: tailCount - index)
                (tail.slots + index).initialize(to: consume entry)
                tailCount += 1
                tail.setInitialisedCount(tailCount)
                return true
            }
            moveTailIntoTrie()
        }
        return insertIntoTrie(consume entry)
    }

    /// Adds `entry`, whose id is above every id present, to the tail.
    private mutating func append(_ entry: consuming Entry) {
        if tailCount == TailRun<Value>.maximumCapacity { moveTailIntoTrie() }
        guard let current = tail else {
            // A map that has filled a run before gets full runs; a small one
            // (most adjacency sets) grows its first run as it goes.
            let run = TailRun<Value>(capacity: trieCount > 0 ? TailRun<Value>.maximumCapacity : 1)
            _ = run.claim(0)
            run.slots.initialize(to: consume entry)
            tail = run
            tailCount = 1
            return
        }
        var run = current
        if !run.claim(tailCount) {
            // Full, or another version of this map took the slot first:
            // continue in a copy of this version's entries, with room to grow.
            let capacity = Swift.min(Swift.max(2 * run.capacity, tailCount + 1), TailRun<Value>.maximumCapacity)
            run = TailRun(copying: current, count: tailCount, capacity: capacity)
            _ = run.claim(tailCount)
            tail = run
        }
        (run.slots + tailCount).initialize(to: consume entry)
        tailCount += 1
    }

    /// The tail, made this map's alone: copied unless this map holds the
    /// only reference, and cut to this map's entries. Nil without a tail.
    private mutating func uniqueTail() -> TailRun<Value>? {
        // Asked before binding the run to a name, which would be a second
        // reference and make it look shared.
        if isKnownUniquelyReferenced(&tail), let current = tail {
            current.truncate(to: tailCount)
            return current
        }
        guard let current = tail else { return nil }
        let copy = TailRun(copying: current, count: tailCount, capacity: current.capacity)
        tail = copy
        return copy
    }

    /// Moves the tail's entries into the trie: the entries of a leaf the
    /// trie does not have yet as one new leaf (one walk down for up to 32
    /// entries), the others one at a time.
    ///
    /// A run no other version holds (a map being built, as in recovery)
    /// gives its entries up instead of copying them: a retain and a release
    /// per value saved.
    private mutating func moveTailIntoTrie() {
        // Asked before binding the run to a name, as in `uniqueTail()`.
        let owned = isKnownUniquelyReferenced(&tail)
        guard let run = tail else { return }
        let moving = tailCount
        // A full run has no slot above the count; cut anyway, so that a
        // slot no version holds is never handed to the trie.
        if owned { run.truncate(to: moving) }
        tail = nil
        tailCount = 0
        // The tail's ids are above the trie's: only the trie's last leaf
        // can share a prefix with them.
        let lastPrefix = trieLastID.map { $0 >> UInt64(Self.bits) }
        var start = 0
        while start < moving {
            let first = run.slots[start].id
            let prefix = first >> UInt64(Self.bits)
            var end = start + 1
            while end < moving && run.slots[end].id >> UInt64(Self.bits) == prefix { end += 1 }
            var bitmap: UInt32 = 0
            var entries: [Entry] = []
            entries.reserveCapacity(end - start)
            for index in start..<end {
                bitmap |= 1 << Self.digit(run.slots[index].id, level: 0)
                entries.append(owned ? (run.slots + index).move() : run.slots[index])
            }
            if prefix != lastPrefix, insertLeaf(TrieNode(bitmap: bitmap, entries: entries), firstID: first) {
                trieCount += entries.count
            } else {
                for entry in entries { insertIntoTrie(entry) }
            }
            start = end
        }
        // Every slot was moved out: the run's deinit has none to destroy.
        if owned { run.setInitialisedCount(0) }
    }

    /// Adds `leaf`, holding ids that share `firstID`'s leaf prefix, as a
    /// new leaf; false (the trie's content unchanged) when the trie has a
    /// leaf for that prefix.
    private mutating func insertLeaf(_ leaf: TrieNode<Value>, firstID id: UInt64) -> Bool {
        guard var node = root else {
            height = 0
            while !Self.fits(id, height: height) { height += 1 }
            root = TrieNode.path(wrapping: leaf, id: id, level: height)
            return true
        }
        while !Self.fits(id, height: height) {
            height += 1
            node = TrieNode(bitmap: 1, children: [node])
        }
        // A trie of one leaf holds the only prefix its height allows.
        guard height > 0 else {
            root = node
            return false
        }
        root = nil
        let inserted = Self.insert(leaf: leaf, id: id, into: &node, level: height)
        root = node
        return inserted
    }

    private static func insert(leaf: TrieNode<Value>, id: UInt64, into node: inout TrieNode<Value>, level: Int) -> Bool {
        let digit = Self.digit(id, level: level)
        let present = node.bitmap & (1 << digit) != 0
        if present && level == 1 { return false }
        if !isKnownUniquelyReferenced(&node) { node = node.copy() }
        let index = node.rank(of: digit)
        guard present else {
            node.bitmap |= 1 << digit
            node.children.insert(TrieNode.path(wrapping: leaf, id: id, level: level - 1), at: index)
            return true
        }
        return insert(leaf: leaf, id: id, into: &node.children[index], level: level - 1)
    }

    /// Inserts `entry` into the trie; false when its id is there already.
    @discardableResult
    private mutating func insertIntoTrie(_ entry: Entry) -> Bool {
        let id = entry.id
        guard var node = root else {
            height = 0
            while !Self.fits(id, height: height) { height += 1 }
            root = TrieNode.path(to: entry, level: height)
            trieCount = 1
            return true
        }
        // Grow at the top: the old root becomes child 0 of a new one.
        while !Self.fits(id, height: height) {
            height += 1
            node = TrieNode(bitmap: 1, children: [node])
        }
        root = nil  // so that `node` is the only reference, when it was the only one
        let inserted = Self.insert(entry, into: &node, level: height)
        root = node
        if inserted { trieCount += 1 }
        return inserted
    }

    /// One walk down: inserts `entry` unless its id is present (then the
    /// path may have been copied, with the same content, and false is
    /// returned). Callers insert new ids, so checking first would walk twice.
    private static func insert(_ entry: Entry, into node: inout TrieNode<Value>, level: Int) -> Bool {
        if !isKnownUniquelyReferenced(&node) { node = node.copy() }
        let digit = Self.digit(entry.id, level: level)
        let index = node.rank(of: digit)
        if node.bitmap & (1 << digit) == 0 {
            node.bitmap |= 1 << digit
            if level == 0 {
                node.entries.insert(entry, at: index)
            } else {
                node.children.insert(TrieNode.path(to: entry, level: level - 1), at: index)
            }
            return true
        }
        guard level > 0 else { return false }
        return insert(entry, into: &node.children[index], level: level - 1)
    }

    /// Runs `body` on the value under `id` in place; nil if there is none.
    ///
    /// In place matters: the value's own storage is not copied when this
    /// map is the only one holding it.
    @discardableResult
    mutating func update<Result, Failure: Error>(
        _ id: UInt64, _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        if tailHolding(id) != nil {
            guard let index = tailIndex(of: id), let tail = uniqueTail() else { return nil }
            return try body(&tail.slots[index].value)
        }
        guard location(of: id) != nil, var node = root else { return nil }
        root = nil
        defer { root = node }
        return try Self.update(id, in: &node, level: height, body)
    }

    private static func update<Result, Failure: Error>(
        _ id: UInt64, in node: inout TrieNode<Value>, level: Int, _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        if !isKnownUniquelyReferenced(&node) { node = node.copy() }
        let index = node.rank(of: digit(id, level: level))
        if level == 0 { return try body(&node.entries[index].value) }
        return try update(id, in: &node.children[index], level: level - 1, body)
    }

    /// Removes and returns the value under `id`.
    @discardableResult
    mutating func remove(_ id: UInt64) -> Value? {
        if tailHolding(id) != nil {
            guard let index = tailIndex(of: id), let tail = uniqueTail() else { return nil }
            let removed = (tail.slots + index).move()
            (tail.slots + index).moveInitialize(from: tail.slots + index + 1, count: tailCount - index - 1)
            tailCount -= 1
            tail.setInitialisedCount(tailCount)
            if tailCount == 0 { self.tail = nil }
            return removed.value
        }
        guard location(of: id) != nil, var node = root else { return nil }
        root = nil
        let removed = Self.remove(id, from: &node, level: height)
        trieCount -= 1
        // Nodes left empty are dropped, the root with them: equal maps
        // iterate equally, whatever their history.
        if trieCount > 0 { root = node } else { height = 0 }
        return removed
    }

    private static func remove(_ id: UInt64, from node: inout TrieNode<Value>, level: Int) -> Value {
        if !isKnownUniquelyReferenced(&node) { node = node.copy() }
        let digit = Self.digit(id, level: level)
        let index = node.rank(of: digit)
        if level == 0 {
            node.bitmap &= ~(1 << digit)
            return node.entries.remove(at: index).value
        }
        let removed = remove(id, from: &node.children[index], level: level - 1)
        if node.children[index].bitmap == 0 {
            node.bitmap &= ~(1 << digit)
            node.children.remove(at: index)
        }
        return removed
    }

    mutating func removeAll() {
        root = nil
        height = 0
        trieCount = 0
        tail = nil
        tailCount = 0
    }

    /// The highest id present.
    var lastID: UInt64? {
        if tailCount > 0, let tail { return tail.slots[tailCount - 1].id }
        return trieLastID
    }

    /// The highest id in the trie.
    private var trieLastID: UInt64? {
        guard var node = root else { return nil }
        while let last = node.children.last { node = last }
        return node.entries.last?.id
    }

    /// The entries with ids greater than `after` (all when nil), ascending.
    ///
    /// The iterator holds this version of the map: later writes to the map
    /// do not change what it yields.
    func entries(after: UInt64? = nil) -> Iterator {
        var iterator = Iterator(height: height, stack: trieStack(after: after), tail: tail, tailEnd: tailCount)
        if let after, let tail, tailCount > 0 {
            iterator.tailIndex = after == .max ? tailCount : tail.lowerBound(of: after + 1, count: tailCount)
        }
        return iterator
    }

    /// The iterator's path to the first entry of the trie above `after`.
    private func trieStack(after: UInt64?) -> [Iterator.Frame] {
        guard let root else { return [] }
        guard let after else { return [Iterator.Frame(node: root, index: 0)] }
        guard after < UInt64.max, Self.fits(after + 1, height: height) else { return [] }
        let start = after + 1
        var stack: [Iterator.Frame] = []
        var node = root
        var level = height
        while true {
            let digit = Self.digit(start, level: level)
            let index = node.rank(of: digit)
            stack.append(Iterator.Frame(node: node, index: index))
            // A missing digit: everything from the next present one on is above `start`.
            guard level > 0, node.bitmap & (1 << digit) != 0 else { break }
            node = node.children[index]
            level -= 1
        }
        return stack
    }

    /// Walks the trie depth first, keeping the path to the next entry, then the tail.
    struct Iterator: IteratorProtocol, Sequence {
        struct Frame {
            let node: TrieNode<Value>
            /// The entry to yield next (in a leaf) or the child being walked.
            var index: Int
        }

        let height: Int
        var stack: [Frame]
        let tail: TailRun<Value>?
        let tailEnd: Int
        var tailIndex = 0

        init(height: Int, stack: [Frame], tail: TailRun<Value>? = nil, tailEnd: Int = 0) {
            self.height = height
            self.stack = stack
            self.tail = tail
            self.tailEnd = tailEnd
        }

        mutating func next() -> Entry? {
            while let frame = stack.last {
                let top = stack.count - 1
                if top == height {
                    if frame.index < frame.node.entries.count {
                        stack[top].index += 1
                        return frame.node.entries[frame.index]
                    }
                } else if frame.index < frame.node.children.count {
                    stack.append(Frame(node: frame.node.children[frame.index], index: 0))
                    continue
                }
                // This node is done: move its parent on to the next child.
                stack.removeLast()
                if !stack.isEmpty { stack[stack.count - 1].index += 1 }
            }
            guard tailIndex < tailEnd, let tail else { return nil }
            tailIndex += 1
            return tail.slots[tailIndex - 1]
        }
    }
}

/// One node of an ``IDMap``: an inner node's children or a leaf's entries,
/// for the digits set in `bitmap`, in digit order.
///
/// Sendable when its values are (below).
final class TrieNode<Value> {
    // Unchecked: a node is written only by the map holding its one
    // reference, never while another access to it is under way, so the
    // dynamic exclusivity checks (a measurable share of a replay) prove
    // nothing.
    @exclusivity(unchecked) var bitmap: UInt32
    @exclusivity(unchecked) var children: [TrieNode<Value>]
    @exclusivity(unchecked) var entries: [IDMap<Value>.Entry]

    init(bitmap: UInt32, children: [TrieNode<Value>] = [], entries: [IDMap<Value>.Entry] = []) {
        self.bitmap = bitmap
        self.children = children
        self.entries = entries
    }

    /// A node of the same content, for a writer that does not own this one.
    func copy() -> TrieNode<Value> {
        TrieNode(bitmap: bitmap, children: children, entries: entries)
    }

    /// The chain of single-child nodes from `level` down to a leaf holding `entry`.
    static func path(to entry: IDMap<Value>.Entry, level: Int) -> TrieNode<Value> {
        path(wrapping: TrieNode(bitmap: 1 << IDMap<Value>.digit(entry.id, level: 0), entries: [entry]), id: entry.id, level: level)
    }

    /// The chain of single-child nodes from `level` down to `leaf`, whose
    /// ids share `id`'s digits above the leaves.
    static func path(wrapping leaf: TrieNode<Value>, id: UInt64, level: Int) -> TrieNode<Value> {
        var node = leaf
        var current = 0
        while current < level {
            current += 1
            node = TrieNode(bitmap: 1 << IDMap<Value>.digit(id, level: current), children: [node])
        }
        return node
    }

    /// The position `digit` has, or would have, in the compact arrays.
    @inline(__always)
    func rank(of digit: UInt32) -> Int {
        (bitmap & ((1 << digit) &- 1)).nonzeroBitCount
    }

    @inline(__always)
    func index(of digit: UInt32) -> Int? {
        bitmap & (1 << digit) == 0 ? nil : rank(of: digit)
    }
}

extension IDMap {
    /// How many trie nodes this map has that `other` does not share: what
    /// the writes that made this map from `other` allocated. Tests use it to
    /// prove a write copies a path, not the map. O(nodes not shared).
    func nodesNotShared(with other: IDMap) -> Int {
        let tailNotShared = tail != nil && tail !== other.tail ? 1 : 0
        guard let root else { return tailNotShared }
        func walk(_ node: TrieNode<Value>, _ counterpart: TrieNode<Value>?, level: Int, leftmost: Bool) -> Int {
            if let counterpart, node === counterpart { return 0 }
            var total = 1
            guard level > 0 else { return total }
            var remaining = node.bitmap
            for child in node.children {
                let digit = UInt32(remaining.trailingZeroBitCount)
                remaining &= remaining - 1
                let stillLeftmost = leftmost && digit == 0
                var match: TrieNode<Value>? = nil
                if let counterpart, let index = counterpart.index(of: digit) {
                    match = counterpart.children[index]
                } else if stillLeftmost && level - 1 == other.height {
                    // `other` was shallower: its root is this map's leftmost node at its height.
                    match = other.root
                }
                total += walk(child, match, level: level - 1, leftmost: stillLeftmost)
            }
            return total
        }
        let counterpart = height == other.height ? other.root : nil
        return walk(root, counterpart, level: height, leftmost: true) + tailNotShared
    }

    /// Which run holds the tail, if any: tests use it to tell a write in
    /// place from a copy.
    var tailRunIdentity: ObjectIdentifier? { tail.map(ObjectIdentifier.init) }

    /// The trie's depth: levels from the root to the leaves, inclusive (the
    /// tail not counted).
    var depth: Int { root == nil ? 0 : height + 1 }
}

extension IDMap {
    /// Whether both maps are the same version (share their root): then
    /// they are equal without looking further. O(1).
    func isIdentical(to other: IDMap) -> Bool {
        trieCount == other.trieCount && root === other.root && tailCount == other.tailCount && tail === other.tail
    }
}

extension IDMap: Sequence {
    func makeIterator() -> Iterator { entries() }
    var underestimatedCount: Int { count }
}

extension IDMap.Entry: Equatable where Value: Equatable {}
extension IDMap: Equatable where Value: Equatable {
    /// Equal content, in id order; O(n), or O(1) when the roots are shared.
    static func == (left: IDMap, right: IDMap) -> Bool {
        guard left.count == right.count else { return false }
        if left.isIdentical(to: right) { return true }
        return left.elementsEqual(right)
    }
}
extension IDMap.Entry: Sendable where Value: Sendable {}
extension IDMap: Sendable where Value: Sendable {}
extension IDMap.Iterator: Sendable where Value: Sendable {}
extension IDMap.Iterator.Frame: Sendable where Value: Sendable {}

/// `@unchecked`: a node is mutated only through a map that holds the one
/// reference to it (`isKnownUniquelyReferenced`, else it is copied first),
/// so a node reachable from two maps, or from another thread, is never
/// written again; shared nodes are immutable. Their values must be
/// Sendable themselves.
extension TrieNode: @unchecked Sendable where Value: Sendable {}

extension IDMap {
    /// Builds a map from entries handed over in strictly ascending id
    /// order, as a snapshot lists them: each node is filled once and handed
    /// to its parent when the ids leave its range, instead of walking down
    /// from the root for every entry. Gives the trie inserting the same
    /// entries would give.
    struct AscendingBuilder {
        /// A node being filled: the ids it covers share `prefix` (the id
        /// shifted right past this node's level).
        private struct Open {
            var prefix: UInt64
            var bitmap: UInt32 = 0
            var children: [TrieNode<Value>] = []
            var entries: [Entry] = []
        }

        /// The open node of each level, leaves first.
        private var open: [Open?] = []
        private var count = 0
        private var lastID: UInt64?

        init() {}

        /// Adds `value` under `id`; false (and nothing added) when `id` is
        /// not above the last one added.
        mutating func append(_ value: Value, for id: UInt64) -> Bool {
            if let lastID, id <= lastID { return false }
            lastID = id
            count += 1
            let prefix = Self.prefix(id, level: 0)
            if let leaf = open.first ?? nil, leaf.prefix != prefix { close(level: 0) }
            if open.isEmpty { open.append(nil) }
            var leaf = open[0].take() ?? Open(prefix: prefix)
            leaf.bitmap |= 1 << IDMap.digit(id, level: 0)
            leaf.entries.append(Entry(id: id, value: value))
            open[0] = leaf
            return true
        }

        /// The map of everything added.
        mutating func finish() -> IDMap {
            var map = IDMap()
            guard let lastID else { return map }
            var height = 0
            while !IDMap.fits(lastID, height: height) { height += 1 }
            for level in 0..<height where level < open.count && open[level] != nil { close(level: level) }
            guard height < open.count, let top = open[height] else { return map }
            map.root = Self.node(top, level: height)
            map.height = height
            map.trieCount = count
            return map
        }

        /// What the ids of `level`'s nodes share: the id without the digits
        /// of that level and those below.
        private static func prefix(_ id: UInt64, level: Int) -> UInt64 {
            let shift = IDMap.bits * (level + 1)
            return shift >= 64 ? 0 : id >> UInt64(shift)
        }

        private static func node(_ open: Open, level: Int) -> TrieNode<Value> {
            level == 0
                ? TrieNode(bitmap: open.bitmap, entries: open.entries)
                : TrieNode(bitmap: open.bitmap, children: open.children)
        }

        /// Hands the open node of `level` to its parent, opening the parent
        /// (and closing the parent's predecessor) as needed.
        private mutating func close(level: Int) {
            guard let closing = open[level] else { return }
            open[level] = nil
            let parentLevel = level + 1
            // The digit of this node in its parent is the low digit of its prefix.
            let digit = UInt32(truncatingIfNeeded: closing.prefix & IDMap.mask)
            let parentPrefix = IDMap.bits * (parentLevel + 1) >= 64 ? 0 : closing.prefix >> UInt64(IDMap.bits)
            if open.count <= parentLevel { open.append(nil) }
            if let parent = open[parentLevel], parent.prefix != parentPrefix { close(level: parentLevel) }
            var parent = open[parentLevel].take() ?? Open(prefix: parentPrefix)
            parent.bitmap |= 1 << digit
            parent.children.append(Self.node(closing, level: level))
            open[parentLevel] = parent
        }
    }
}
