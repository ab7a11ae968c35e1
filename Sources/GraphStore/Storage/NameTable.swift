import HashTreeCollections

/// Names interned once per store: property keys, relationship types. A
/// record holds a name's number (a varint in its encoded properties, a
/// `UInt32` for a relationship's type) instead of the string.
///
/// A million nodes with the same three keys would otherwise carry three
/// million copies of them. Numbers are handed out in order of first use
/// and never reused or forgotten (a name no record uses any more stays
/// until the store is rebuilt). Both directions are persistent (an
/// ``IDMap`` and a `TreeDictionary`), so a transaction that meets a new
/// name copies a path, not the table, even with many distinct names.
///
/// Equality ignores the table: two stores with the same graph are equal
/// whatever names they met on the way, and ``GraphStore``'s `==` compares
/// records through their names when the tables disagree.
struct NameTable: Sendable, Equatable {
    private var names = IDMap<String>()
    private var ids = TreeDictionary<String, UInt32>()
    /// The first few names again, looked up by comparison: most graphs
    /// have a handful of keys and types, and comparing a short string is
    /// cheaper than hashing it (replay looks up every key of every event).
    private var first: [String] = []
    private static var firstCapacity: Int { 8 }

    /// How many names the table has; their numbers are `0..<count`.
    var count: Int { names.count }

    /// The number of `name`, which gets the next one if it has none yet.
    mutating func intern(_ name: String) -> UInt32 {
        if let id = id(of: name) { return id }
        let id = UInt32(truncatingIfNeeded: names.count)
        names.insert(name, for: UInt64(id))
        ids[name] = id
        if first.count < Self.firstCapacity { first.append(name) }
        return id
    }

    /// The number of `name`, if it has one.
    @inline(__always)
    func id(of name: String) -> UInt32? {
        if let index = first.firstIndex(of: name) { return UInt32(truncatingIfNeeded: index) }
        // Every name is among the first: no need to hash.
        guard names.count > first.count else { return nil }
        return ids[name]
    }

    /// The name with number `id`, if there is one.
    func name(_ id: UInt32) -> String? { names[UInt64(id)] }

    /// The names in number order.
    var allNames: some Sequence<String> { names.lazy.map(\.value) }

    /// Whether a number means the same name in both tables wherever both
    /// have it (one table is a prefix of the other): then encodings made
    /// with either can be compared byte for byte. O(smaller table).
    func agrees(with other: NameTable) -> Bool {
        zip(names, other.names).allSatisfy { $0.value == $1.value }
    }

    static func == (left: NameTable, right: NameTable) -> Bool { true }
}
