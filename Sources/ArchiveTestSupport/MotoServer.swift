import Crypto
import Foundation
import WALArchive

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// moto's S3-compatible server (`moto.server`, moto 5) on a free loopback
/// port, so the S3 store is tested against a real implementation of the API.
///
/// It runs as `python3 -c <launcher> PORT`: the launcher starts moto in
/// its own process and exits when its standard input, a pipe this test
/// process holds open, reaches end of file, so the server dies with the
/// tests even when they crash or are killed. Tests reach it through
/// ``withMotoServer(authenticated:_:)``, which stops it (SIGTERM, then
/// SIGKILL) when the last test using it ends, thrown errors included.
package final class MotoServer: Sendable {
    package struct Failure: Error, CustomStringConvertible {
        package let description: String
    }

    package let port: Int
    /// Credentials that sign the requests: anything for an open server, an
    /// IAM user's access key for an authenticated one.
    package let credentials: SigV4Credentials
    package let sessionToken: String?
    private let child: Child

    package var endpoint: S3Endpoint { S3Endpoint(scheme: "http", host: "127.0.0.1", port: port) }

    private init(port: Int, credentials: SigV4Credentials, sessionToken: String?, child: Child) {
        self.port = port
        self.credentials = credentials
        self.sessionToken = sessionToken
        self.child = child
    }

    /// The same server, reached with other credentials.
    package func with(credentials: SigV4Credentials, sessionToken: String?) -> MotoServer {
        MotoServer(port: port, credentials: credentials, sessionToken: sessionToken, child: child)
    }

    /// A store over `bucket` on this server, path-style, with short
    /// timeouts and waits (loopback needs no patience).
    package func store(bucket: String, configure: (inout S3Configuration) -> Void = { _ in }) throws -> S3ArchiveStore {
        var configuration = S3Configuration(
            credentials: credentials, sessionToken: sessionToken, region: "us-east-1", endpoint: endpoint, addressing: .path,
            retry: S3RetryPolicy(attempts: 3, baseDelay: .milliseconds(50), maxDelay: .milliseconds(500)),
            requestTimeout: .seconds(20))
        configure(&configuration)
        return try S3ArchiveStore(bucket: bucket, configuration: configuration)
    }

    /// A new bucket of its own for one test, and a store over it.
    package func makeBucket(configure: (inout S3Configuration) -> Void = { _ in }) async throws -> S3ArchiveStore {
        let bucket = "test-" + UUID().uuidString.lowercased().prefix(18)
        let store = try store(bucket: String(bucket), configure: configure)
        try await store.createBucket()
        return store
    }

    // MARK: - Starting and stopping

    /// Starts moto and waits until it answers HTTP; tries another port when
    /// the first is taken between choosing and binding it.
    package static func start() async throws -> MotoServer {
        var lastFailure = ""
        for _ in 0..<3 {
            let port = try freeLoopbackPort()
            let child = try Child(port: port)
            switch await child.awaitReady() {
            case .ready:
                return MotoServer(
                    port: port, credentials: SigV4Credentials(accessKeyID: "testing", secretAccessKey: "testing"), sessionToken: nil,
                    child: child)
            case .missing(let output):
                throw Failure(
                    description: "moto's server is not installed for python3; run scripts/install-test-tools (it installs moto[server]==5.2.1). python3 said: \(output)")
            case .failed(let output):
                lastFailure = output
                await child.stop()
            }
        }
        throw Failure(description: "moto's server did not start on a loopback port after 3 tries: \(lastFailure)")
    }

    /// Stops the server: SIGTERM, SIGKILL after 5 s.
    package func stop() async {
        await child.stop()
    }

    /// A port no socket on 127.0.0.1 had a moment ago.
    package static func freeLoopbackPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket failed: errno \(errno)") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
            }
        }
        guard bound else { throw Failure(description: "cannot bind a loopback port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The moto process, its stdin pipe (held open while it should live)
    /// and its output file.
    ///
    /// `@unchecked`: `Process` and `FileHandle` are not marked Sendable.
    /// Every stored property is a `let` set in `init`; afterwards only
    /// `Process`'s own synchronised calls (`isRunning`, `terminationStatus`,
    /// `waitUntilExit`) and one `close` of the pipe, at `stop()`, touch them.
    private final class Child: @unchecked Sendable {
        enum Readiness { case ready, missing(String), failed(String) }

        // Exits when stdin closes (this process died), with 3 when moto is
        // missing. The spawning thread's signal mask is inherited (the
        // test process's threads block SIGTERM), so it is cleared first.
        static let launcher = """
            import os, signal, sys, threading
            signal.pthread_sigmask(signal.SIG_SETMASK, [])
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            def watch():
                try:
                    while sys.stdin.buffer.read(4096):
                        pass
                finally:
                    os._exit(0)
            threading.Thread(target=watch, daemon=True).start()
            try:
                from moto.server import main
            except ImportError as error:
                print("cannot import moto.server:", error, file=sys.stderr, flush=True)
                os._exit(3)
            main(["-H", "127.0.0.1", "-p", sys.argv[1]])
            """

        let process = Process()
        /// This end of moto's stdin, close-on-exec so that no other child
        /// (of this or another test) inherits it and keeps moto alive.
        let stdinWriter: FileHandle
        let port: Int
        let logPath: String

        init(port: Int) throws {
            // A socket pair rather than pipe(2): it is created close-on-exec
            // in one call (Glibc's module lacks pipe2), so no child spawned
            // meanwhile by another thread inherits it.
            var ends: [Int32] = [0, 0]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
                throw Failure(description: "socketpair failed: errno \(errno)")
            }
            let stdinReader = FileHandle(fileDescriptor: ends[0], closeOnDealloc: true)
            stdinWriter = FileHandle(fileDescriptor: ends[1], closeOnDealloc: true)
            self.port = port
            logPath = NSTemporaryDirectory() + "moto-\(port)-\(UUID().uuidString).log"
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
            let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", Self.launcher, String(port)]
            process.standardInput = stdinReader
            process.standardOutput = log
            process.standardError = log
            var environment = ProcessInfo.processInfo.environment
            environment["PYTHONUNBUFFERED"] = "1"
            process.environment = environment
            try process.run()
            try? log.close()
            try? stdinReader.close()
        }

        var output: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

        /// Waits up to 60 s (a busy machine imports moto slowly) for moto's answer.
        func awaitReady() async -> Readiness {
            let transport = AsyncHTTPClientTransport()
            let probe = S3HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/moto-api/", headers: [], body: [])
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline {
                if !process.isRunning {
                    return process.terminationStatus == 3 ? .missing(output) : .failed("exit \(process.terminationStatus): \(output)")
                }
                // moto's dashboard answers 200. Another answer is another
                // server, which took the port between choosing and binding it
                // (a graph-server of a parallel test on port 0): moto then
                // fails to bind and exits, and the next port is tried.
                if let answer = try? await transport.send(probe, timeout: .seconds(2)), answer.succeeded { return .ready }
                try? await Task.sleep(for: .milliseconds(100))
            }
            return .failed("no HTTP answer within 60 s: \(output)")
        }

        func stop() async {
            if process.isRunning {
                kill(process.processIdentifier, SIGTERM)
                let deadline = ContinuousClock.now + .seconds(5)
                while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
            process.waitUntilExit()
            try? stdinWriter.close()
            try? FileManager.default.removeItem(atPath: logPath)
        }
    }
}

/// Shares one moto between the tests that run at the same time: started by
/// the first, stopped when the last ends. Each test makes its own bucket.
private actor MotoPool {
    static let shared = MotoPool()

    private var starting: Task<MotoServer, any Error>?
    private var users = 0

    func acquire() async throws -> MotoServer {
        users += 1
        let task: Task<MotoServer, any Error>
        if let starting {
            task = starting
        } else {
            task = Task { try await MotoServer.start() }
            starting = task
        }
        do {
            return try await task.value
        } catch {
            users -= 1
            if starting == task { starting = nil }
            throw error
        }
    }

    /// The server to stop when the last user is gone, else `nil`.
    func release() async -> MotoServer? {
        users -= 1
        guard users == 0, let task = starting else { return nil }
        starting = nil
        return try? await task.value
    }
}

/// Runs `body` with a moto server, which is stopped once no test uses it,
/// whether `body` returns or throws. If moto is not installed, this throws
/// (the test fails) with a message saying to run scripts/install-test-tools.
///
/// - Parameter authenticated: a server of its own that checks every
///   request's signature against an IAM user's access key (and, for
///   temporary credentials, the session token), instead of the shared one,
///   which accepts any signature.
package func withMotoServer<T>(authenticated: Bool = false, _ body: (MotoServer) async throws -> T) async throws -> T {
    if authenticated {
        let server = try await MotoServer.start()
        do {
            let result = try await body(try await server.authenticated())
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }
    let server = try await MotoPool.shared.acquire()
    do {
        let result = try await body(server)
        await MotoPool.shared.release()?.stop()
        return result
    } catch {
        await MotoPool.shared.release()?.stop()
        throw error
    }
}
