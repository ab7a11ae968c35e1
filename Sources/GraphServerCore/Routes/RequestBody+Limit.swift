import Hummingbird
import NIOCore

extension Request {
    /// The body as bytes, refused with `payload_too_large` beyond `limit`.
    ///
    /// A declared Content-Length over the limit is refused before any of the
    /// body is read; a body without one is read only up to the limit.
    func bodyBytes(limit: Int) async throws -> [UInt8] {
        if let declared = headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw GraphServerError(.payloadTooLarge, "the body has \(declared) bytes; this server accepts at most \(limit) (--max-body-bytes)")
        }
        do {
            let buffer = try await body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw GraphServerError(.payloadTooLarge, "the body is larger than \(limit) bytes, the most this server accepts (--max-body-bytes)")
        }
    }

    /// The body as a JSON object, or an empty object for an empty body
    /// (admin routes whose fields are all optional).
    func optionalJSONObject(limit: Int, allowed: Set<String>) async throws -> JSONObject {
        let bytes = try await bodyBytes(limit: limit)
        guard bytes.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else { return JSONObject() }
        let json = try JSONParser.parse(bytes)
        guard case .object(let object) = json else {
            throw GraphServerError(.badRequest, "the body must be a JSON object, not \(json.kind)")
        }
        for key in object.keys where !allowed.contains(key) {
            throw GraphServerError(
                .badRequest, "unknown field \"\(key)\"; expected \(allowed.isEmpty ? "none" : allowed.sorted().joined(separator: ", "))")
        }
        return object
    }
}

extension JSONObject {
    /// An optional non-empty string member.
    func optionalString(_ key: String) throws(GraphServerError) -> String? {
        guard let value = self[key] else { return nil }
        guard case .string(let text) = value, !text.isEmpty else {
            throw GraphServerError(.badRequest, "\"\(key)\" must be a non-empty string, not \(value.kind)")
        }
        return text
    }

    /// An optional non-negative integer member.
    func optionalUnsigned(_ key: String) throws(GraphServerError) -> UInt64? {
        guard let value = self[key] else { return nil }
        guard case .integer(let number) = value, number >= 0 else {
            throw GraphServerError(.badRequest, "\"\(key)\" must be a non-negative integer, not \(value.kind)")
        }
        return UInt64(number)
    }
}
