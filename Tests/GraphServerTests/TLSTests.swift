import Foundation
import GraphServerCore
import Testing
import WALTestSupport

/// HTTPS with a certificate made for the test, checked by curl, a client
/// that knows nothing of this server.
@Suite("TLS")
struct TLSTests {
    /// A self-signed certificate for localhost and 127.0.0.1, and its key, made by the openssl tool.
    static func makeCertificate(in directory: TemporaryDirectory) throws -> TLSFiles {
        let files = TLSFiles(certificatePath: directory.child("cert.pem"), keyPath: directory.child("key.pem"))
        let status = try runNow(
            "/usr/bin/env",
            [
                "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout", files.keyPath, "-out", files.certificatePath,
            ])
        guard status.status == 0 else { throw LoopbackHTTP.Failure(description: "openssl failed: \(status.output)") }
        return files
    }

    static func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
        try await offPool { try runNow(executable, arguments) }
    }

    static func runNow(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static var toolsPresent: Bool {
        ["/usr/bin/curl", "/usr/bin/openssl"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test("curl reads and writes over HTTPS, verifying the server's certificate", .enabled(if: toolsPresent))
    func curlOverTLS() async throws {
        let directory = TemporaryDirectory()
        let files = try Self.makeCertificate(in: directory)
        try await LiveServer.run({ $0.tls = files }) { port throws in
            let base = ["-sS", "--max-time", "10", "--cacert", files.certificatePath, "--resolve", "localhost:\(port):127.0.0.1"]
            let write = try await Self.run(
                "/usr/bin/curl",
                base + ["--json", #"{"ops": [{"op": "createNode", "labels": ["Secure"]}]}"#, "https://localhost:\(port)/tx"])
            #expect(write.status == 0, "\(write.output)")
            #expect(write.output.contains(#""created""#), "\(write.output)")
            let read = try await Self.run("/usr/bin/curl", base + ["-w", "\n%{http_code} %{ssl_verify_result}", "https://localhost:\(port)/stats"])
            #expect(read.output.contains(#""Secure":1"#), "\(read.output)")
            #expect(read.output.hasSuffix("200 0"), "\(read.output)")
            // A page served over HTTPS is same-origin under its https:// origin.
            let sameOrigin = try await Self.run(
                "/usr/bin/curl", base + ["-H", "Origin: https://localhost:\(port)", "-o", "/dev/null", "-w", "%{http_code}", "https://localhost:\(port)/stats"])
            #expect(sameOrigin.output == "200")
            // Plain HTTP on the TLS port gets no answer it could mistake for one.
            let plain = try? await LoopbackHTTP.call(port: port, "GET", "/stats")
            #expect(plain?.status != 200)
        }
    }

    @Test("over TLS too, a client that sends its whole oversize body before reading gets the 413", .enabled(if: toolsPresent && ConnectionLimitTests.hasPython))
    func oversizeBodyOverTLS() async throws {
        let directory = TemporaryDirectory()
        let files = try Self.makeCertificate(in: directory)
        let script = """
            import ssl, sys, urllib.request, urllib.error
            context = ssl.create_default_context(cafile=sys.argv[2])
            request = urllib.request.Request(sys.argv[1], data=b" " * (3 << 20), headers={"Content-Type": "application/json"}, method="POST")
            try:
                print(urllib.request.urlopen(request, timeout=20, context=context).status)
            except urllib.error.HTTPError as error:
                print(error.code)
            """
        try await LiveServer.run({
            $0.tls = files
            $0.limits.maxBodyBytes = 1 << 20
        }) { port throws in
            let result = try await Self.run(
                "/usr/bin/env", ["python3", "-c", script, "https://127.0.0.1:\(port)/tx", files.certificatePath])
            #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == "413", "\(result.output)")
        }
    }

    @Test("a client that stalls in the TLS handshake is closed after the header timeout", .enabled(if: toolsPresent))
    func stalledHandshake() async throws {
        let directory = TemporaryDirectory()
        let files = try Self.makeCertificate(in: directory)
        try await LiveServer.run({
            $0.tls = files
            $0.limits.headerTimeout = .milliseconds(500)
        }) { port throws in
            // A receive timeout far above the bound below, and the bound far
            // above the server's 500 ms: on a loaded machine the close has
            // been seen to take 5.5 s, but a server that never closed would
            // still take the full 60.
            let connection = try RawConnection(port: port, timeoutSeconds: 60)
            // The first bytes of a ClientHello record, and then nothing.
            try await connection.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
            let started = ContinuousClock.now
            // Closed (an end or a reset), not left waiting for the receive timeout.
            _ = try? await connection.readToEnd()
            #expect(ContinuousClock.now - started < .seconds(30))
        }
    }

    @Test("curl without the certificate refuses the connection", .enabled(if: toolsPresent))
    func untrusted() async throws {
        let directory = TemporaryDirectory()
        let files = try Self.makeCertificate(in: directory)
        try await LiveServer.run({ $0.tls = files }) { port throws in
            let result = try await Self.run("/usr/bin/curl", ["-sS", "--max-time", "10", "https://127.0.0.1:\(port)/health"])
            #expect(result.status != 0)
        }
    }

    @Test("the real binary serves HTTPS and says so", .enabled(if: toolsPresent))
    func binary() async throws {
        let directory = TemporaryDirectory()
        let files = try Self.makeCertificate(in: directory)
        let server = try ServerProcess(["--in-memory", "--port", "0", "--tls-cert", files.certificatePath, "--tls-key", files.keyPath])
        defer { server.stop(SIGTERM) }
        #expect(server.stdout.contains("listening on https://"))
        let result = try await Self.run(
            "/usr/bin/curl",
            ["-sS", "--max-time", "10", "--cacert", files.certificatePath, "--resolve", "localhost:\(server.port):127.0.0.1",
             "https://localhost:\(server.port)/health"])
        #expect(result.output == #"{"status":"ok"}"#, "\(result.output)")
    }

    @Test("TLS flags come in pairs, and unreadable or mismatched files stop start-up naming the flag", .enabled(if: toolsPresent))
    func badFiles() async throws {
        let directory = TemporaryDirectory()
        let files = try Self.makeCertificate(in: directory)
        let other = TemporaryDirectory()
        let otherFiles = try Self.makeCertificate(in: other)
        let lonely = #expect(throws: GraphServerError.self) {
            try ServerConfiguration.resolve(ServerFlags(values: [.tlsCert: files.certificatePath]), environment: [:])
        }
        #expect(lonely?.message == "--tls-cert needs --tls-key, its private key: pass both")
        for (certificate, key, flag) in [
            (directory.child("missing.pem"), files.keyPath, "--tls-cert"), (files.keyPath, files.keyPath, "--tls-cert"),
            (files.certificatePath, directory.child("missing.pem"), "--tls-key"), (files.certificatePath, otherFiles.keyPath, "--tls-key"),
        ] {
            var configuration = ServerConfiguration()
            configuration.storage = .inMemory
            configuration.tls = TLSFiles(certificatePath: certificate, keyPath: key)
            let error = #expect(throws: GraphServerError.self) { try configuration.preparePaths() }
            #expect(error?.message.hasPrefix(flag) == true, "\(error?.message ?? "")")
        }
    }
}
