import WriteAheadLog
import GraphStore

/// A JSON document built in code and written with its keys in the order
/// they were added.
///
/// `walctl` writes JSON for machines (`--json`, `--format jsonl`); a stable
/// key order makes that output diffable and easy to read in a terminal,
/// which Foundation's encoder does not promise without sorting everything.
enum JSONValue {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// The document on one line: one record per line in JSON Lines.
    var compact: String {
        var text = ""
        write(to: &text, indent: nil, level: 0)
        return text
    }

    /// The document indented by two spaces, for `--json` reports.
    var pretty: String {
        var text = ""
        write(to: &text, indent: "  ", level: 0)
        return text
    }

    private func write(to text: inout String, indent: String?, level: Int) {
        switch self {
        case .null: text += "null"
        case .bool(let value): text += value ? "true" : "false"
        case .int(let value): text += String(value)
        case .uint(let value): text += String(value)
        case .double(let value):
            // JSON has no NaN or infinity; a statistic that has none is null.
            text += value.isFinite ? String(value) : "null"
        case .string(let value): Self.writeString(value, to: &text)
        case .array(let items):
            writeContainer(items.map { (nil, $0) }, open: "[", close: "]", to: &text, indent: indent, level: level)
        case .object(let members):
            writeContainer(members.map { ($0.0, $0.1) }, open: "{", close: "}", to: &text, indent: indent, level: level)
        }
    }

    private func writeContainer(
        _ members: [(String?, JSONValue)], open: String, close: String, to text: inout String, indent: String?,
        level: Int
    ) {
        text += open
        guard !members.isEmpty else {
            text += close
            return
        }
        for (index, (key, value)) in members.enumerated() {
            if index > 0 { text += "," }
            if let indent {
                text += "\n" + String(repeating: indent, count: level + 1)
            }
            if let key {
                Self.writeString(key, to: &text)
                text += indent == nil ? ":" : ": "
            }
            value.write(to: &text, indent: indent, level: level + 1)
        }
        if let indent {
            text += "\n" + String(repeating: indent, count: level)
        }
        text += close
    }

    private static func writeString(_ string: String, to text: inout String) {
        var bytes: [UInt8] = []
        JSONString.append(string, to: &bytes)
        text += String(decoding: bytes, as: UTF8.self)
    }
}

extension JSONValue {
    /// An LSN as a number, or null for "none" (LSN 0 means nothing).
    static func lsn(_ value: LSN) -> JSONValue {
        value.isNone ? .null : .uint(value.rawValue)
    }

    /// A value or null.
    static func optional<T>(_ value: T?, _ transform: (T) -> JSONValue) -> JSONValue {
        value.map(transform) ?? .null
    }
}
