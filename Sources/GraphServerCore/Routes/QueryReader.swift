import Hummingbird

/// The query parameters of a request, checked by name and type.
///
/// An unknown parameter is refused: a misspelt `lable=Person` would
/// otherwise quietly return every node.
struct QueryReader {
    private var values: [String: String] = [:]

    init(_ request: Request, allowed: Set<String>) throws(GraphServerError) {
        for (key, value) in request.uri.queryParameters {
            let name = String(key)
            guard allowed.contains(name) else {
                throw GraphServerError(
                    .badRequest, "unknown query parameter \"\(name)\"; expected \(allowed.sorted().joined(separator: ", "))")
            }
            guard values[name] == nil else {
                throw GraphServerError(.badRequest, "query parameter \"\(name)\" is given twice")
            }
            values[name] = String(value)
        }
    }

    func string(_ name: String) throws(GraphServerError) -> String? {
        guard let value = values[name] else { return nil }
        guard !value.isEmpty else { throw GraphServerError(.badRequest, "query parameter \"\(name)\" is empty") }
        return value
    }

    func raw(_ name: String) -> String? { values[name] }

    func id(_ name: String) throws(GraphServerError) -> UInt64? {
        guard let value = values[name] else { return nil }
        guard let id = UInt64(value) else {
            throw GraphServerError(.badRequest, "query parameter \"\(name)\" must be an id (a non-negative integer), not \"\(value)\"")
        }
        return id
    }

    func integer(_ name: String, in range: ClosedRange<Int>) throws(GraphServerError) -> Int? {
        guard let value = values[name] else { return nil }
        guard let number = Int(value), range.contains(number) else {
            throw GraphServerError(
                .badRequest, "query parameter \"\(name)\" must be an integer from \(range.lowerBound) to \(range.upperBound), not \"\(value)\"")
        }
        return number
    }

    func flag(_ name: String) throws(GraphServerError) -> Bool {
        guard let value = values[name] else { return false }
        switch value {
        case "true", "1", "": return true
        case "false", "0": return false
        default: throw GraphServerError(.badRequest, "query parameter \"\(name)\" must be true or false, not \"\(value)\"")
        }
    }
}
