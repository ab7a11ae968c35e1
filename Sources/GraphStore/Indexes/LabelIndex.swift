import HashTreeCollections

/// The ids of the nodes carrying each label; a label with no nodes has no
/// entry.
///
/// Persistent, like the rest of the store: the sets live in a hash trie, so
/// a transaction that adds a node copies one path of it, not every label.
///
/// Why one label's set is kept outside the trie: nodes are mostly created
/// in runs of the same label, and each creation copied the trie's node
/// holding that label (an allocation, a retain of every entry in it) and
/// later freed the copy it displaced, through the hash trie's generic
/// deinit, which looks up type metadata each time. Together that was the
/// largest single cost of a one-node transaction. The label written last
/// instead lives inline, in the store's box, which each transaction copies
/// anyway: adding a node to it is a bit set in its set's last word.
///
/// A label moves out of the trie only when it is written twice in a row
/// while another is held, so that labels written in turn (`A`, `B`, `A`,
/// `B`, … or `A`, `B`, `C`, …) are not moved back and forth: a write to one
/// not held costs one trie update, as it would without the held label.
struct LabelIndex: Sendable, Equatable {
    /// Every label but `heldLabel`.
    private var sets: TreeDictionary<String, IDSet> = [:]
    /// The label held outside the trie, and its set (never empty while held).
    private(set) var heldLabel: String?
    private var heldIDs = IDSet()
    /// The label the last write outside the held one went to.
    private var lastMissed: String?

    /// The ids of the nodes carrying `label`, or nil when none does.
    subscript(label: String) -> IDSet? {
        if let heldLabel, heldLabel == label { return heldIDs }
        return sets[label]
    }

    /// How many labels some node carries. O(1).
    var count: Int { sets.count + (heldLabel == nil ? 0 : 1) }

    /// Every label some node carries, with its set, in no given order.
    var entries: [(label: String, ids: IDSet)] {
        var result = sets.map { (label: $0.key, ids: $0.value) }
        if let heldLabel { result.append((heldLabel, heldIDs)) }
        return result
    }

    /// Adds `id` to the set of `label`.
    mutating func insert(_ id: UInt64, label: String) {
        if let heldLabel, heldLabel == label {
            heldIDs.insert(id)
            // Only writes in a row count: `B` between two `A`s is not a run.
            if lastMissed != nil { lastMissed = nil }
            return
        }
        guard lastMissed == label else {
            lastMissed = label
            // `updateValue` changes the set in place; the defaulted
            // subscript would copy it out of the trie and back.
            sets.updateValue(forKey: label, default: IDSet()) { _ = $0.insert(id) }
            return
        }
        // The second write to `label` in a row: hold it from now on.
        lastMissed = nil
        releaseHeld()
        var ids = sets.removeValue(forKey: label) ?? IDSet()
        ids.insert(id)
        heldLabel = label
        heldIDs = ids
    }

    /// Removes `id` from the set of `label`; a set left empty is dropped.
    mutating func remove(_ id: UInt64, label: String) {
        if let heldLabel, heldLabel == label {
            heldIDs.remove(id)
            if heldIDs.isEmpty {
                self.heldLabel = nil
                heldIDs = IDSet()
            }
            return
        }
        // Taken out and put back, so that the set is not shared while it changes.
        guard var ids = sets.removeValue(forKey: label) else { return }
        ids.remove(id)
        if !ids.isEmpty { sets[label] = ids }
    }

    /// Adds `ids` to the set of `label` (a snapshot load, one union per label).
    mutating func formUnion(_ ids: IDSet, label: String) {
        guard !ids.isEmpty else { return }
        if let heldLabel, heldLabel == label {
            heldIDs = heldIDs.union(ids)
        } else if let existing = sets[label] {
            sets[label] = existing.union(ids)
        } else {
            sets[label] = ids
        }
    }

    /// Drops every set.
    mutating func removeAll() { self = LabelIndex() }

    /// Whether both hold the same labels with the same ids, whichever label
    /// each holds outside its trie.
    static func == (left: LabelIndex, right: LabelIndex) -> Bool {
        left.count == right.count && left.entries.allSatisfy { right[$0.label] == $0.ids }
    }

    /// Puts the held label's set back into the trie.
    private mutating func releaseHeld() {
        guard let label = heldLabel else { return }
        sets[label] = heldIDs
        heldLabel = nil
        heldIDs = IDSet()
    }
}
