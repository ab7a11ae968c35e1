import Synchronization

/// The newest entries of an ``IDMap``, in ascending id order, in a buffer
/// that versions of the map share and append to without copying.
///
/// Why: a store creates nodes and relationships with ever higher ids, and
/// each creation used to copy the trie's path to the newest leaf (its
/// inner nodes' child arrays and the leaf's entries, retaining every
/// value) and later free the path it displaced. Appending here writes one
/// slot instead.
///
/// How versions share it safely: each map holds the run and its own count
/// of entries, and reads only the slots below its count. Slots are claimed
/// one at a time through `claimed`, so a slot is written once, by the one
/// version that claimed it, and no version that exists can see it yet: any
/// version that does see it was made from the claiming one afterwards, and
/// a slot below a version's count never changes while another version
/// holds the run. A version whose next slot was already claimed (by a
/// sibling copy, or by a transaction since rolled back) continues in a copy
/// of its own entries. A map changes slots in place only when it holds the
/// only reference to the run (see ``IDMap``).
final class TailRun<Value> {
    /// How many entries a run holds before the map moves them into its trie.
    static var maximumCapacity: Int { 32 }

    let capacity: Int
    let slots: UnsafeMutablePointer<IDMap<Value>.Entry>
    /// How many slots, from the first, have been claimed and initialised.
    private let claimed: Atomic<Int>

    /// An empty run with room for `capacity` entries.
    init(capacity: Int) {
        self.capacity = capacity
        slots = .allocate(capacity: capacity)
        claimed = Atomic(0)
    }

    /// A run holding copies of the first `count` entries of `other`, with
    /// room for `capacity` (at least `count`).
    convenience init(copying other: TailRun, count: Int, capacity: Int) {
        self.init(capacity: capacity)
        slots.initialize(from: other.slots, count: count)
        claimed.store(count, ordering: .releasing)
    }

    deinit {
        slots.deinitialize(count: claimed.load(ordering: .acquiring))
        slots.deallocate()
    }

    /// Claims the slot at `index` for a version holding `index` entries,
    /// which then initialises it. False when it is taken or past the
    /// capacity: another version got there first.
    func claim(_ index: Int) -> Bool {
        index < capacity
            && claimed.compareExchange(expected: index, desired: index + 1, ordering: .acquiringAndReleasing).exchanged
    }

    /// Drops the entries from `count` on (appended by versions since
    /// gone). Only for the map holding the only reference to this run.
    func truncate(to count: Int) {
        let current = claimed.load(ordering: .acquiring)
        guard current > count else { return }
        (slots + count).deinitialize(count: current - count)
        claimed.store(count, ordering: .releasing)
    }

    /// Sets how many slots are initialised, after the map holding the only
    /// reference moved entries in place (an insertion or a removal).
    func setInitialisedCount(_ count: Int) {
        claimed.store(count, ordering: .releasing)
    }

    /// The position of the first of the first `count` entries whose id is
    /// not below `id` (`count` when there is none).
    func lowerBound(of id: UInt64, count: Int) -> Int {
        guard count > 0 else { return 0 }
        // Dense ids first: the entry at `id - first` is usually the one.
        let first = slots[0].id
        if id >= first, id - first < UInt64(count), slots[Int(id - first)].id == id { return Int(id - first) }
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if slots[middle].id < id { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// `@unchecked`: a slot is written once, by the version that claimed it
/// through the atomic `claimed`, before any other version can reach it;
/// slots are changed in place only by a map holding the one reference to
/// the run. Its values must be Sendable themselves.
extension TailRun: @unchecked Sendable where Value: Sendable {}
