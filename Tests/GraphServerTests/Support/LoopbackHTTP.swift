import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A minimal blocking HTTP/1.1 client for 127.0.0.1, one connection per
/// request: enough to talk to a real server process in the kill test,
/// with hard timeouts, and no proxy settings or connection pools that
/// could outlive a killed server.
enum LoopbackHTTP {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    struct Reply: Sendable {
        var status: Int
        var body: String
        /// Header lines as sent, names in lower case.
        var headers: [(name: String, value: String)] = []

        func header(_ name: String) -> String? {
            headers.first { $0.name == name.lowercased() }?.value
        }

        /// The `code` of an error body.
        var errorCode: String? {
            guard let range = body.range(of: #""code":""#) else { return nil }
            return String(body[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    static func request(port: Int, method: String, path: String, body: String? = nil, timeoutSeconds: Int = 10) throws -> Reply {
        let connection = try RawConnection(port: port, timeoutSeconds: timeoutSeconds)
        let payload = Array((body ?? "").utf8)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if body != nil { head += "Content-Type: application/json\r\nContent-Length: \(payload.count)\r\n" }
        head += "\r\n"
        try connection.sendNow(Array(head.utf8) + payload)
        return try parse(connection.readToEndNow())
    }

    static func parse(_ bytes: [UInt8]) throws -> Reply {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let split = bytes.firstRange(of: separator) else { throw Failure(description: "incomplete response") }
        let head = String(decoding: bytes[..<split.lowerBound], as: UTF8.self)
        var body = Array(bytes[split.upperBound...])
        let lines = head.components(separatedBy: "\r\n")
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line: \(lines.first ?? "")") }
        let chunked = lines.contains { $0.lowercased().hasPrefix("transfer-encoding:") && $0.lowercased().contains("chunked") }
        if chunked { body = try dechunk(body) }
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Reply(status: status, body: String(decoding: body, as: UTF8.self), headers: headers)
    }

    static func dechunk(_ bytes: [UInt8]) throws -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = bytes[index...].firstRange(of: Array("\r\n".utf8)) else { throw Failure(description: "bad chunk") }
            let sizeText = String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw Failure(description: "bad chunk size") }
            index = lineEnd.upperBound
            if size == 0 { return output }
            guard index + size <= bytes.count else { throw Failure(description: "truncated chunk") }
            output += bytes[index..<index + size]
            index += size + 2
        }
    }
}
