import GraphStore

/// The node every graph-create transaction makes: one label and three
/// properties carrying 100 bytes of values (a 32-byte name, a 60-byte
/// email, an 8-byte integer).
///
/// Built once per workload, so the harness spends nothing per commit on
/// making values; the graph stores each node's own copy on write, and
/// SQLite binds the same values to a row of its `nodes` table.
struct NodePayload: Sendable {
    let label: String
    let labels: Set<String>
    let name: String
    let email: String
    let age: Int64
    let properties: [String: PropertyValue]
    /// The label sets nodes take turns carrying: `labels` alone, or
    /// `Label0`, `Label1`, … with `--labels N` (the graph database only;
    /// SQLite's row keeps `label`).
    let labelSets: [Set<String>]

    init(labelCount: Int = 1) {
        label = "Person"
        labels = [label]
        labelSets = labelCount <= 1 ? [labels] : (0..<labelCount).map { ["Label\($0)"] }
        name = String(repeating: "n", count: 27) + "-0042"
        email = "person-0000000042@" + String(repeating: "e", count: 38) + ".org"
        age = 42
        properties = ["name": .string(name), "email": .string(email), "age": .int(age)]
        assert(name.utf8.count + email.utf8.count + MemoryLayout<Int64>.size == Self.propertyBytes)
    }

    /// Bytes of property values per node, what the `MB/s` column counts.
    static let propertyBytes = 100
}
