import CSQLite

/// What one SQLite transaction inserts: the log workloads' opaque bytes, or
/// the graph workloads' node as a relational row.
enum SQLiteTable: Sendable {
    /// `log(id, payload BLOB)`: the transaction's bytes as one row.
    case log([UInt8])
    /// `nodes(id, label, name, email, age)`: one row per node, a column per
    /// property, as a relational schema would store the graph's node.
    case nodes(NodePayload)

    var createStatement: String {
        switch self {
        case .log:
            "CREATE TABLE log(id INTEGER PRIMARY KEY, payload BLOB NOT NULL);"
        case .nodes:
            "CREATE TABLE nodes(id INTEGER PRIMARY KEY, label TEXT NOT NULL, name TEXT, email TEXT, age INTEGER);"
        }
    }

    var insertStatement: String {
        switch self {
        case .log: "INSERT INTO log(payload) VALUES (?1)"
        case .nodes: "INSERT INTO nodes(label, name, email, age) VALUES (?1, ?2, ?3, ?4)"
        }
    }

    /// Binds this row's values to `statement` and steps it once.
    ///
    /// `SQLITE_STATIC` (nil) everywhere: the bound bytes belong to this
    /// value and outlive the step that reads them.
    func insert(with statement: OpaquePointer) -> Int32 {
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        switch self {
        case .log(let bytes):
            return bytes.withUnsafeBytes { raw in
                sqlite3_bind_blob(statement, 1, raw.baseAddress, Int32(raw.count), nil)
                return sqlite3_step(statement)
            }
        case .nodes(let node):
            return Self.withText(node.label) { label in
                Self.withText(node.name) { name in
                    Self.withText(node.email) { email in
                        sqlite3_bind_text(statement, 1, label.baseAddress, Int32(label.count), nil)
                        sqlite3_bind_text(statement, 2, name.baseAddress, Int32(name.count), nil)
                        sqlite3_bind_text(statement, 3, email.baseAddress, Int32(email.count), nil)
                        sqlite3_bind_int64(statement, 4, node.age)
                        return sqlite3_step(statement)
                    }
                }
            }
        }
    }

    /// The string's UTF-8 bytes, without the copy `String`'s C-string
    /// bridging makes when a string is not stored contiguously.
    private static func withText<R>(_ text: String, _ body: (UnsafeBufferPointer<CChar>) -> R) -> R {
        var text = text
        return text.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { body($0) }
        }
    }
}
