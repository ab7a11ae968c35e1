import Foundation
import Testing
import WALTestSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The real `graph-server` binary running as a child process, with its
/// output in files (never pipes, which a chatty server could fill).
final class ServerProcess {
    let process: Process
    let scratch: URL
    private(set) var port = 0

    /// Starts `graph-server arguments...` and, when `waitForListening`, waits
    /// until it prints the port it listens on.
    init(_ arguments: [String], waitForListening: Bool = true, environment: [String: String]? = nil) throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("graph-server-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: scratch.appendingPathComponent("stdout").path, contents: nil)
        _ = FileManager.default.createFile(atPath: scratch.appendingPathComponent("stderr").path, contents: nil)
        process = Process()
        process.executableURL = try Self.binary()
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: scratch.appendingPathComponent("stdout"))
        process.standardError = try FileHandle(forWritingTo: scratch.appendingPathComponent("stderr"))
        process.standardInput = FileHandle.nullDevice
        var childEnvironment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GRAPH_SERVER_") }
        for (key, value) in environment ?? [:] { childEnvironment[key] = value }
        process.environment = childEnvironment
        try process.run()
        if waitForListening { try awaitListening() }
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: scratch)
    }

    var stdout: String { (try? String(contentsOf: scratch.appendingPathComponent("stdout"), encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: scratch.appendingPathComponent("stderr"), encoding: .utf8)) ?? "" }

    private func awaitListening(timeout: Duration = .seconds(60)) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix("graph-server listening on http") }),
                let port = line.split(separator: ":").last.flatMap({ Int($0) })
            {
                self.port = port
                return
            }
            guard process.isRunning else {
                throw LoopbackHTTP.Failure(description: "graph-server exited with \(process.terminationStatus): \(stderr)")
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw LoopbackHTTP.Failure(description: "graph-server did not start listening: \(stderr)")
    }

    /// Sends a signal and waits for the process to end; returns its exit status.
    @discardableResult
    func stop(_ signal: Int32, timeout: Duration = .seconds(30)) -> Int32 {
        kill(process.processIdentifier, signal)
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Waits for a process that is expected to exit on its own.
    func waitForExit(timeout: Duration = .seconds(30)) -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        return stop(SIGKILL)
    }

    func request(_ method: String, _ path: String, _ body: String? = nil) throws -> LoopbackHTTP.Reply {
        try LoopbackHTTP.request(port: port, method: method, path: path, body: body)
    }

    /// The built executable: `GRAPH_SERVER_BINARY` if set, else
    /// `graph-server` beside the test binary in the build products directory.
    static func binary() throws -> URL {
        try BuiltExecutable.url(named: "graph-server", overriddenBy: "GRAPH_SERVER_BINARY")
    }
}
