/// A JSON document as the server reads and writes it.
///
/// The server parses JSON itself rather than through Foundation so that
/// the lexical form of a number decides its type: `42` is an integer (it
/// becomes a 64-bit ``PropertyValue/int(_:)``), `42.0` and `4.2e1` are
/// doubles. Foundation's parser hands both back as the same `NSNumber`,
/// which would make the mapping depend on the value rather than on what
/// the client wrote.
public enum JSONValue: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number written without a fraction or exponent.
    case integer(Int64)
    /// A number written with a fraction or exponent.
    case double(Double)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, its members in order.
    case object(JSONObject)

    /// The JSON type's name, for error messages ("expected a string, got an array").
    public var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer: "an integer"
        case .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON object that keeps its members in the order they were written or
/// added, so responses read in a deliberate order. Keys are unique: the
/// parser refuses a repeated key rather than silently keeping one of them.
public struct JSONObject: Sendable, Equatable {
    /// The keys in order.
    public private(set) var keys: [String] = []
    /// The values by key.
    public private(set) var values: [String: JSONValue] = [:]

    /// An empty object.
    public init() {}

    /// An object with these members, in this order; a repeated key keeps its last value.
    public init(_ members: [(String, JSONValue)]) {
        for (key, value) in members { self[key] = value }
    }

    /// The member `key`, if present. Setting nil removes it.
    public subscript(key: String) -> JSONValue? {
        get { values[key] }
        set {
            if let newValue {
                if values.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if values.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// How many members the object has.
    public var count: Int { keys.count }

    /// The members in order.
    public var members: [(key: String, value: JSONValue)] { keys.map { ($0, values[$0] ?? .null) } }

    /// Objects are equal when their members are, in whatever order, as JSON means it.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool { lhs.values == rhs.values }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    /// A string literal is `.string`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer literal is `.integer`.
    public init(integerLiteral value: Int64) { self = .integer(value) }
    /// `true` and `false` are `.bool`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An array literal is `.array`.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// A dictionary literal is `.object`, members in the order written.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
    /// `nil` is `.null`.
    public init(nilLiteral: ()) { self = .null }
}
