import Foundation
import GraphServerCore
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Slow, oversize and idle clients, through a real server on loopback and
/// raw sockets. Bounds on time are generous: they tell "answered promptly"
/// from "answered only when a client gave up".
@Suite("Connection limits")
struct ConnectionLimitTests {
    func short(_ configuration: inout ServerConfiguration) {
        configuration.limits.headerTimeout = .milliseconds(500)
        configuration.limits.bodyTimeout = .milliseconds(500)
        configuration.limits.idleTimeout = .milliseconds(500)
    }

    @Test("a client that sends a 17 MiB body before reading gets its 413, and the connection closes")
    func oversizeBodySentWhole() async throws {
        try await LiveServer.run { port throws in
            let body = [UInt8](repeating: 0x20, count: 17 << 20)
            let connection = try RawConnection(port: port, timeoutSeconds: 20)
            let started = ContinuousClock.now
            try await connection.send(
                "POST /tx HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n")
            try await connection.send(body)
            let reply = try await LoopbackHTTP.parse(connection.readToEnd())
            #expect(reply.status == 413)
            #expect(reply.errorCode == "payload_too_large")
            #expect(reply.header("connection") == "close")
            #expect(ContinuousClock.now - started < .seconds(8))
        }
    }

    static var hasPython: Bool { (try? TLSTests.runNow("/usr/bin/env", ["python3", "--version"]).status) == 0 }

    @Test("Python's urllib, which sends its whole body before reading, gets the 413 at once", .enabled(if: hasPython))
    func oversizeBodyFromUrllib() async throws {
        let script = """
            import sys, urllib.request, urllib.error
            request = urllib.request.Request(sys.argv[1], data=b" " * (17 << 20), headers={"Content-Type": "application/json"}, method="POST")
            try:
                print(urllib.request.urlopen(request, timeout=20).status)
            except urllib.error.HTTPError as error:
                print(error.code)
            """
        try await LiveServer.run { port throws in
            let started = ContinuousClock.now
            let result = try await TLSTests.run("/usr/bin/env", ["python3", "-c", script, "http://127.0.0.1:\(port)/tx"])
            #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "413", "\(result.output)")
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test("a chunked body past the limit gets 413 too, and the connection closes")
    func oversizeChunkedBody() async throws {
        try await LiveServer.run({ $0.limits.maxBodyBytes = 1 << 20 }) { port throws in
            let connection = try RawConnection(port: port, timeoutSeconds: 20)
            // Head, 40 chunks and the end in one send from one thread, as a
            // client that writes its whole body before reading does. Sent
            // chunk by chunk, each from a task of the test pool, a loaded
            // run left gaps of seconds between chunks, longer than the
            // server lingers without receiving anything after its early
            // 413, and the next send met a closed connection.
            let chunk = Array("10000\r\n".utf8) + [UInt8](repeating: 0x20, count: 0x10000) + Array("\r\n".utf8)
            var request = Array("POST /tx HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
            for _ in 0..<40 { request += chunk }
            request += Array("0\r\n\r\n".utf8)
            try await connection.send(request)
            let reply = try await LoopbackHTTP.parse(connection.readToEnd())
            #expect(reply.status == 413)
            #expect(reply.header("connection") == "close")
        }
    }

    @Test("a connection stays usable after a request it answered in full")
    func keepAlive() async throws {
        try await LiveServer.run { port throws in
            let connection = try RawConnection(port: port)
            for _ in 0..<3 {
                try await connection.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                #expect(try await connection.readResponse().status == 200)
            }
        }
    }

    @Test("pipelined requests are all answered, in order, under short timeouts")
    func pipelined() async throws {
        try await LiveServer.run(short) { port throws in
            let connection = try RawConnection(port: port)
            let create = #"{"ops": [{"op": "createNode"}]}"#
            let post = "POST /tx HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(create.utf8.count)\r\n\r\n\(create)"
            try await connection.send(post + "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" + post + "GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            let text = String(decoding: try await connection.readToEnd(), as: UTF8.self)
            #expect(text.components(separatedBy: "HTTP/1.1 200").count - 1 == 4, "\(text)")
            #expect(text.hasSuffix(#""nodes":2,"relationships":0,"labels":{},"types":{},"indexes":[]}"#), "\(text)")
        }
    }

    @Test("a request head that does not arrive in time gets 408 and is closed")
    func slowHead() async throws {
        try await LiveServer.run(short) { port throws in
            let connection = try RawConnection(port: port)
            try await connection.send("POST /tx HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-")
            let started = ContinuousClock.now
            let reply = try await LoopbackHTTP.parse(connection.readToEnd())
            #expect(reply.status == 408)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test("a client dripping its head a byte at a time is cut off at the header timeout")
    func drippingHead() async throws {
        try await LiveServer.run(short) { port throws in
            let connection = try RawConnection(port: port)
            let head = Array("GET /stats HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: \(String(repeating: "a", count: 200))\r\n\r\n".utf8)
            let started = ContinuousClock.now
            var closed = false
            for byte in head {
                if (try? connection.sendNow([byte])) == nil { closed = true; break }
                var probe = [UInt8](repeating: 0, count: 512)
                let count = probe.withUnsafeMutableBytes { recv(connection.descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if count >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK) { closed = true; break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(closed, "the whole head went through, a byte every 50 ms")
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test("a body that stops arriving gets 408 and is closed")
    func slowBody() async throws {
        try await LiveServer.run(short) { port throws in
            let connection = try RawConnection(port: port)
            try await connection.send("POST /tx HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ops\"")
            let started = ContinuousClock.now
            let reply = try await LoopbackHTTP.parse(connection.readToEnd())
            #expect(reply.status == 408)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test("an idle kept-alive connection is closed after the idle timeout")
    func idle() async throws {
        try await LiveServer.run(short) { port throws in
            let connection = try RawConnection(port: port)
            try await connection.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(try await connection.readResponse().status == 200)
            let started = ContinuousClock.now
            #expect(try await connection.readToEnd().isEmpty)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test("a new connection that sends nothing is closed after the header timeout, not the idle one")
    func silentConnection() async throws {
        try await LiveServer.run({
            $0.limits.headerTimeout = .milliseconds(500)
            $0.limits.idleTimeout = .seconds(600)
        }) { port throws in
            let connection = try RawConnection(port: port)
            let started = ContinuousClock.now
            #expect(try await connection.readToEnd().isEmpty)
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    @Test("with hundreds of idle half-sent requests open, a normal request is served at once")
    func halfSentRequests() async throws {
        try await LiveServer.run { port throws in
            var idle: [RawConnection] = []
            for index in 0..<300 {
                let connection = try RawConnection(port: port)
                if index.isMultiple(of: 2) {
                    try await connection.send("POST /tx HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
                } else {
                    try await connection.send("POST /tx HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
                }
                idle.append(connection)
            }
            let started = ContinuousClock.now
            let reply = try await LoopbackHTTP.call(
                port: port, "POST", "/tx", headers: ["Host: 127.0.0.1", "Content-Type: application/json"], body: #"{"ops": [{"op": "createNode"}]}"#)
            #expect(reply.status == 200)
            #expect(try await LoopbackHTTP.call(port: port, "GET", "/stats").status == 200)
            #expect(ContinuousClock.now - started < .seconds(3))
            withExtendedLifetime(idle) {}
        }
    }

    @Test("past --max-connections new connections wait until one closes")
    func maxConnections() async throws {
        try await LiveServer.run({ $0.limits.maxConnections = 4 }) { port throws in
            var held: [RawConnection] = []
            for _ in 0..<4 {
                let connection = try RawConnection(port: port)
                try await connection.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                #expect(try await connection.readResponse().status == 200)
                held.append(connection)
            }
            let waiting = try RawConnection(port: port, timeoutSeconds: 1)
            try await waiting.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            await #expect(throws: LoopbackHTTP.Failure.self, "served beyond the limit") { try await waiting.readResponse() }
            held.removeAll()
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(waiting.descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            #expect(try await waiting.readResponse().status == 200)
        }
    }

    @Test("limits parse from flags and refuse nonsense")
    func flags() throws {
        let configuration = try ServerConfiguration.resolve(
            ServerFlags(values: [.headerTimeoutMs: "250", .bodyTimeoutMs: "2000", .idleTimeoutMs: "30000", .maxConnections: "64", .maxScan: "500"]),
            environment: [:])
        #expect(configuration.limits.headerTimeout == .milliseconds(250))
        #expect(configuration.limits.bodyTimeout == .seconds(2))
        #expect(configuration.limits.idleTimeout == .seconds(30))
        #expect(configuration.limits.maxConnections == 64)
        #expect(configuration.limits.maxScan == 500)
        for setting in [ServerSetting.headerTimeoutMs, .bodyTimeoutMs, .idleTimeoutMs, .maxConnections, .maxScan] {
            let error = #expect(throws: GraphServerError.self) { try ServerConfiguration.resolve(ServerFlags(values: [setting: "0"]), environment: [:]) }
            #expect(error?.message.hasPrefix("\(setting.flag): invalid value \"0\"") == true)
        }
    }
}
