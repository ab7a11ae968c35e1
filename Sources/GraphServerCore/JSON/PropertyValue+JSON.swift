import Foundation
import GraphStore

/// How JSON values map to ``PropertyValue`` and back (docs/SERVER.md has the table).
///
/// | JSON | PropertyValue |
/// |---|---|
/// | `null`, `true`/`false`, string | `.null`, `.bool`, `.string` |
/// | a number without fraction or exponent (`42`) | `.int` (64-bit; beyond that is refused) |
/// | a number with fraction or exponent (`42.0`, `1e3`) | `.double` |
/// | array | `.list` |
/// | object | `.map` |
/// | `{"$bytes": "<base64>"}` | `.bytes` |
/// | `{"$double": "NaN" \| "Infinity" \| "-Infinity"}` | a non-finite `.double` |
/// | `{"$map": {...}}` | `.map`, taken literally: the escape for a map whose only key is `$bytes`, `$double` or `$map` |
///
/// The mapping is a bijection, so a value read back is the value written.
extension PropertyValue {
    /// The keys that turn a one-member object into a typed value.
    static let typeTags: Set<String> = ["$bytes", "$double", "$map"]

    /// The value a JSON document denotes; `path` names where it is (`ops[0].properties.age`) for errors.
    public init(json: JSONValue, at path: String) throws(GraphServerError) {
        switch json {
        case .null: self = .null
        case .bool(let flag): self = .bool(flag)
        case .integer(let number): self = .int(number)
        case .double(let number): self = .double(number)
        case .string(let text): self = .string(text)
        case .array(let items):
            var values: [PropertyValue] = []
            values.reserveCapacity(items.count)
            for (position, item) in items.enumerated() {
                values.append(try PropertyValue(json: item, at: "\(path)[\(position)]"))
            }
            self = .list(values)
        case .object(let object):
            if object.count == 1, let key = object.keys.first, Self.typeTags.contains(key), let tagged = object[key] {
                self = try Self.tagged(key, tagged, at: "\(path).\(key)")
            } else {
                self = .map(try Self.map(object, at: path))
            }
        }
        guard isWithinNestingLimit else {
            throw GraphServerError(
                .invalidValue, "\(path): the value nests lists and maps deeper than \(PropertyValue.maximumNestingDepth) levels")
        }
    }

    /// A JSON object's members as properties.
    static func map(_ object: JSONObject, at path: String) throws(GraphServerError) -> [String: PropertyValue] {
        var entries: [String: PropertyValue] = [:]
        entries.reserveCapacity(object.count)
        for (key, value) in object.members {
            entries[key] = try PropertyValue(json: value, at: "\(path).\(key)")
        }
        return entries
    }

    private static func tagged(_ tag: String, _ value: JSONValue, at path: String) throws(GraphServerError) -> PropertyValue {
        switch tag {
        case "$bytes":
            guard case .string(let text) = value, let data = Data(base64Encoded: text) else {
                throw GraphServerError(.invalidValue, "\(path): expected a base64 string")
            }
            return .bytes(Array(data))
        case "$double":
            switch value {
            case .string("NaN"): return .double(.nan)
            case .string("Infinity"): return .double(.infinity)
            case .string("-Infinity"): return .double(-.infinity)
            case .double(let number): return .double(number)
            case .integer(let number): return .double(Double(number))
            default:
                throw GraphServerError(.invalidValue, "\(path): expected a number, \"NaN\", \"Infinity\" or \"-Infinity\"")
            }
        default:  // "$map"
            guard case .object(let object) = value else {
                throw GraphServerError(.invalidValue, "\(path): expected an object")
            }
            return .map(try map(object, at: path))
        }
    }

    /// The JSON form of this value (the inverse of ``init(json:at:)``).
    public var json: JSONValue {
        switch self {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let number): return .integer(number)
        case .double(let number):
            if number.isNaN { return ["$double": "NaN"] }
            if number.isInfinite { return ["$double": .string(number < 0 ? "-Infinity" : "Infinity")] }
            return .double(number)
        case .string(let text): return .string(text)
        case .bytes(let bytes): return ["$bytes": .string(Data(bytes).base64EncodedString())]
        case .list(let items): return .array(items.map(\.json))
        case .map(let entries):
            let object = Self.jsonObject(entries)
            if object.count == 1, let key = object.keys.first, Self.typeTags.contains(key) {
                return ["$map": .object(object)]
            }
            return .object(object)
        }
    }

    /// Properties as a JSON object with keys sorted, so output is deterministic.
    static func jsonObject(_ properties: [String: PropertyValue]) -> JSONObject {
        JSONObject(properties.keys.sorted().map { ($0, properties[$0, default: .null].json) })
    }
}
