/// The value of a property: a scalar, a byte string, or a list or map of values.
///
/// Lists and maps nest, up to ``maximumNestingDepth`` levels, so that a
/// decoder can refuse a corrupt or hostile value before it exhausts the stack.
///
/// Equality is structural and exact, because the store uses it to prove that
/// a replayed graph is the committed one: `int(1)` is not `double(1)`, and
/// doubles compare by bit pattern, so a NaN equals itself (with the same
/// payload) and `-0.0` differs from `0.0`. A query language that wants IEEE
/// or Cypher comparison semantics implements them on top.
public enum PropertyValue: Sendable {
    /// No value (Cypher's `null`); stored like any other value.
    case null
    /// A boolean.
    case bool(Bool)
    /// A 64-bit signed integer.
    case int(Int64)
    /// A 64-bit IEEE 754 float, kept bit for bit (NaN payloads and `-0.0` included).
    case double(Double)
    /// A Unicode string, stored as UTF-8.
    case string(String)
    /// Raw bytes.
    case bytes([UInt8])
    /// An ordered list of values, of any mix of kinds.
    case list([PropertyValue])
    /// Values by string key.
    case map([String: PropertyValue])

    /// The most levels of lists and maps a value may have: `[[1]]` has two.
    ///
    /// The store refuses deeper values with ``GraphStoreError/Code/invalidValue``
    /// and the codec refuses to encode or decode them.
    public static let maximumNestingDepth = 64

    /// Whether this value nests more than `limit` levels of lists and maps.
    ///
    /// Stops descending as soon as the answer is known, so checking a deep
    /// value costs at most `limit + 1` levels of recursion.
    func nestsDeeper(than limit: Int) -> Bool {
        switch self {
        // A container is one level plus its deepest element, even when empty.
        case .list(let items):
            guard limit >= 1 else { return true }
            return items.contains { $0.nestsDeeper(than: limit - 1) }
        case .map(let entries):
            guard limit >= 1 else { return true }
            return entries.values.contains { $0.nestsDeeper(than: limit - 1) }
        default:
            return false
        }
    }

    /// Whether this is a list or a map. Inlined, so that asking it of a
    /// value in place reads its case and copies nothing.
    @inline(__always)
    var isContainer: Bool {
        switch self {
        case .list, .map: true
        default: false
        }
    }

    /// Whether this value is within ``maximumNestingDepth``.
    public var isWithinNestingLimit: Bool { !nestsDeeper(than: Self.maximumNestingDepth) }
}

extension PropertyValue: Hashable {
    /// Structural equality; doubles compare by bit pattern.
    public static func == (lhs: PropertyValue, rhs: PropertyValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let a), .bool(let b)): a == b
        case (.int(let a), .int(let b)): a == b
        case (.double(let a), .double(let b)): a.bitPattern == b.bitPattern
        case (.string(let a), .string(let b)): a == b
        case (.bytes(let a), .bytes(let b)): a == b
        case (.list(let a), .list(let b)): a == b
        case (.map(let a), .map(let b)): a == b
        default: false
        }
    }

    /// Hashes consistently with `==` (doubles by bit pattern).
    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0 as UInt8)
        case .bool(let value):
            hasher.combine(1 as UInt8)
            hasher.combine(value)
        case .int(let value):
            hasher.combine(2 as UInt8)
            hasher.combine(value)
        case .double(let value):
            hasher.combine(3 as UInt8)
            hasher.combine(value.bitPattern)
        case .string(let value):
            hasher.combine(4 as UInt8)
            hasher.combine(value)
        case .bytes(let value):
            hasher.combine(5 as UInt8)
            hasher.combine(value)
        case .list(let value):
            hasher.combine(6 as UInt8)
            hasher.combine(value)
        case .map(let value):
            hasher.combine(7 as UInt8)
            hasher.combine(value)
        }
    }
}

extension PropertyValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    /// `nil` is `.null`.
    public init(nilLiteral: ()) { self = .null }
    /// `true`, `false` are `.bool`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An integer literal is `.int`.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// A float literal is `.double`.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A string literal is `.string`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An array literal is `.list`.
    public init(arrayLiteral elements: PropertyValue...) { self = .list(elements) }

    /// A map from a literal; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, PropertyValue)...) {
        self = .map(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

extension PropertyValue: CustomStringConvertible {
    /// A deterministic rendering: map keys sorted, strings quoted and escaped,
    /// bytes in hex, and a NaN with its bit pattern (so two dumps differ when
    /// the values do).
    public var description: String {
        var text = ""
        write(to: &text)
        return text
    }

    func write(to text: inout String) {
        switch self {
        case .null: text += "null"
        case .bool(let value): text += value ? "true" : "false"
        case .int(let value): text += String(value)
        case .double(let value):
            if value.isNaN {
                text += "nan(0x" + String(value.bitPattern, radix: 16) + ")"
            } else {
                text += String(describing: value)
            }
        case .string(let value): writeQuoted(value, to: &text)
        case .bytes(let value):
            text += "0x"
            for byte in value {
                if byte < 16 { text += "0" }
                text += String(byte, radix: 16)
            }
        case .list(let items):
            text += "["
            for (index, item) in items.enumerated() {
                if index > 0 { text += ", " }
                item.write(to: &text)
            }
            text += "]"
        case .map(let entries):
            writeProperties(entries, to: &text)
        }
    }
}

/// Writes `{key: value, ...}` with keys in sorted order, for deterministic dumps.
func writeProperties(_ properties: [String: PropertyValue], to text: inout String) {
    text += "{"
    for (index, key) in properties.keys.sorted().enumerated() {
        if index > 0 { text += ", " }
        writeQuoted(key, to: &text)
        text += ": "
        properties[key, default: .null].write(to: &text)
    }
    text += "}"
}

/// Writes a string in double quotes, escaping what would make a dump ambiguous.
func writeQuoted(_ string: String, to text: inout String) {
    text += "\""
    for scalar in string.unicodeScalars {
        switch scalar {
        case "\"": text += "\\\""
        case "\\": text += "\\\\"
        case "\n": text += "\\n"
        case "\r": text += "\\r"
        case "\t": text += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                text += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
    }
    text += "\""
}
