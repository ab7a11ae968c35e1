import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs blocking socket work on a thread of its own, never on the Swift
/// concurrency pool: an in-process server answers on that pool, and a test
/// blocked in `recv` there could starve the server it waits for.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// One TCP connection to 127.0.0.1 driven byte by byte: to send half a
/// request, a whole body before reading, or headers a library would not.
///
/// Unchecked Sendable: a test uses it from one task, one call at a time;
/// the calls only hop to a thread (``offPool(_:)``) and back.
final class RawConnection: Sendable {
    let descriptor: Int32

    init(port: Int, timeoutSeconds: Int = 10) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw LoopbackHTTP.Failure(description: "socket failed: errno \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // No close here: every stored property is set, so deinit runs when
        // init throws and closes the descriptor. Closing it twice could close
        // a descriptor another thread has just been given the same number.
        guard connected == 0 else { throw LoopbackHTTP.Failure(description: "connect failed: errno \(errno)") }
    }

    deinit { close(descriptor) }

    /// Sends every byte, or throws (with the errno) when the peer stops taking them.
    func send(_ bytes: [UInt8]) async throws { try await offPool { try self.sendNow(bytes) } }

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    func readToEnd() async throws -> [UInt8] { try await offPool { try self.readToEndNow() } }

    func readResponse() async throws -> LoopbackHTTP.Reply { try await offPool { try self.readResponseNow() } }

    func sendNow(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw LoopbackHTTP.Failure(description: "send failed after \(sent) bytes: errno \(errno)") }
            sent += count
        }
    }

    /// Everything the server sends until it closes the connection (or the
    /// receive timeout passes, which throws).
    func readToEndNow() throws -> [UInt8] {
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { return response }
            guard count > 0 else {
                throw LoopbackHTTP.Failure(description: "recv failed after \(response.count) bytes: errno \(errno)")
            }
            response += buffer[0..<count]
        }
    }

    /// Reads until one whole response (head and Content-Length body) is in.
    func readResponseNow() throws -> LoopbackHTTP.Reply {
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            if let split = response.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: response[..<split.lowerBound], as: UTF8.self).lowercased()
                let length = head.components(separatedBy: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if response.count - split.upperBound >= length { return try LoopbackHTTP.parse(response) }
            }
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw LoopbackHTTP.Failure(description: "connection ended after \(response.count) bytes: errno \(errno)") }
            response += buffer[0..<count]
        }
    }
}

extension LoopbackHTTP {
    /// One request with exactly these header lines (plus Content-Length for
    /// a body, and Connection: close), its whole response read to the end.
    static func call(
        port: Int, _ method: String, _ path: String, headers: [String] = ["Host: 127.0.0.1"], body: String? = nil,
        timeoutSeconds: Int = 10
    ) async throws -> Reply {
        try await offPool {
            let connection = try RawConnection(port: port, timeoutSeconds: timeoutSeconds)
            var head = "\(method) \(path) HTTP/1.1\r\n" + headers.map { $0 + "\r\n" }.joined() + "Connection: close\r\n"
            let payload = Array((body ?? "").utf8)
            if body != nil { head += "Content-Length: \(payload.count)\r\n" }
            try connection.sendNow(Array((head + "\r\n").utf8) + payload)
            return try parse(connection.readToEndNow())
        }
    }
}
