import Foundation
import Testing
import WALTestSupport

/// What one run of the `walctl` executable printed and how it exited.
struct WalctlResult {
    var status: Int32
    var stdout: String
    var stderr: String

    /// stdout's lines, without the empty one after the last newline.
    var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty } }

    /// stdout parsed as one JSON document.
    func json() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
        return try #require(object as? [String: Any], "stdout is not a JSON object: \(stdout)")
    }
}

/// Runs the real `walctl` binary the build put next to the test bundle, so
/// the tests see exactly what an operator sees: output and exit codes.
enum Walctl {
    /// Runs `walctl arguments...` and waits for it.
    ///
    /// Output goes to temporary files rather than pipes, so a chatty run can
    /// never fill a pipe buffer and deadlock against the wait.
    static func run(_ arguments: [String]) throws -> WalctlResult {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("walctl-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout")
        let errURL = scratch.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try out.close()
        try err.close()
        return WalctlResult(
            status: process.terminationStatus,
            stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
            stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    static func run(_ arguments: String...) throws -> WalctlResult {
        try run(arguments)
    }

    /// The built executable: `WALCTL_BINARY` if set, else `walctl` in the
    /// build products directory that holds this test binary.
    static func binary() throws -> URL {
        try BuiltExecutable.url(named: "walctl", overriddenBy: "WALCTL_BINARY")
    }
}
