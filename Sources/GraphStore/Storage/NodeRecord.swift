/// A node together with its adjacency: the ids of the relationships that
/// leave it and that enter it, each sorted ascending.
///
/// The adjacency lives beside the node rather than in a separate map so a
/// write that touches a node copies only that node's chunk, and so
/// `relationships(of:)` needs one lookup. Sorted arrays rather than sets:
/// new relationships get the highest id so far and append in O(1), and
/// listing them in id order (which paging needs) costs no sort.
/// A self-loop appears in both lists.
struct NodeRecord: Sendable, Equatable {
    var node: Node
    var outgoing: [RelationshipID] = []
    var incoming: [RelationshipID] = []

    var hasRelationships: Bool { !outgoing.isEmpty || !incoming.isEmpty }
}

extension Array where Element: Comparable {
    /// The index of the first element not less than `value`, by binary search.
    func lowerBound(of value: Element) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Inserts `value` keeping the array sorted; O(1) when it is the new maximum.
    mutating func insertSorted(_ value: Element) {
        if let last, last < value {
            append(value)
        } else {
            insert(value, at: lowerBound(of: value))
        }
    }

    /// Removes one occurrence of `value` from a sorted array.
    mutating func removeSorted(_ value: Element) {
        let index = lowerBound(of: value)
        if index < count, self[index] == value { remove(at: index) }
    }
}
