import Foundation
import Hummingbird
import NIOCore

extension Request {
    /// The body as bytes, refused with `payload_too_large` beyond `limit`,
    /// and with `unsupported_media_type` unless it is JSON.
    ///
    /// A declared Content-Length over the limit is refused before any of the
    /// body is read; a body without one is read only up to the limit. Only
    /// `application/json` is accepted: a browser page can send `text/plain`
    /// or a form to any site without asking first (no CORS preflight), but
    /// not JSON. An empty body needs no type (`curl -X POST`).
    func bodyBytes(limit: Int) async throws -> [UInt8] {
        let contentType = headers[.contentType]
        if let contentType, !Self.isJSON(contentType) {
            throw Self.unsupported("the body is \(contentType)")
        }
        if let declared = headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw GraphServerError(.payloadTooLarge, "the body has \(declared) bytes; this server accepts at most \(limit) (--max-body-bytes)")
        }
        do {
            let buffer = try await body.collect(upTo: limit)
            if contentType == nil && buffer.readableBytes > 0 { throw Self.unsupported("the body has no Content-Type") }
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw GraphServerError(.payloadTooLarge, "the body is larger than \(limit) bytes, the most this server accepts (--max-body-bytes)")
        }
    }

    /// Whether a Content-Type names JSON: `application/json`, with any parameters.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first ?? ""
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
    }

    private static func unsupported(_ what: String) -> GraphServerError {
        GraphServerError(
            .unsupportedMediaType,
            "\(what); this route accepts only Content-Type: application/json (curl: -H 'Content-Type: application/json')")
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
