/// Renders result rows as a JSON array whose objects keep the documented
/// key order (Foundation's encoder does not promise one); a missing value
/// (no latency for recovery, no peak where procfs cannot reset it) is `null`.
struct ResultJSON {
    let rows: [ResultRow]

    func render() -> String {
        let objects = rows.map { row in
            let fields: [(String, String)] = [
                ("workload", Self.string(row.workload)),
                ("system", Self.string(row.system)),
                ("writers", String(row.writers)),
                ("commitsPerSecond", Self.number(row.commitsPerSecond)),
                ("eventsPerSecond", Self.number(row.eventsPerSecond)),
                ("p50Micros", Self.number(row.p50Micros)),
                ("p99Micros", Self.number(row.p99Micros)),
                ("mbPerSecond", Self.number(row.mbPerSecond)),
                ("peakRSSBytes", row.peakRSSBytes.map { String($0) } ?? "null"),
            ]
            return "  {" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
        }
        return objects.isEmpty ? "[]\n" : "[\n" + objects.joined(separator: ",\n") + "\n]\n"
    }

    private static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "null" }
        return String(value)
    }

    /// Names here are plain ASCII identifiers; escape the two characters JSON requires anyway.
    private static func string(_ value: String) -> String {
        "\"" + value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
    }
}
