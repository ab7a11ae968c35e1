import Foundation
import Testing
import WALTestSupport
import WriteAheadLog

#if canImport(Glibc)
import Glibc
#endif

/// A child process built next to the tests, its standard output and error
/// collected on a thread of its own, killed with SIGKILL by the test.
///
/// Spawned with `posix_spawn` and reaped with our own `waitpid`, so the pid
/// killed cannot have been reaped and reused in between.
final class ChildProcess: Sendable {
    let pid: pid_t
    let name: String
    private let output = LockedBox<[UInt8]>([])
    private let closed = Gate()

    /// The executable `name`, built next to the test bundle.
    static func executable(_ name: String) throws -> URL {
        try BuiltExecutable.url(named: name)
    }

    init(_ executable: URL, _ arguments: [String]) throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw WALError(.io, "pipe failed", errno: errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        let all = [executable.path] + arguments
        var argv: [UnsafeMutablePointer<CChar>?] = all.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable.path, &actions, nil, &argv, environ)
        close(fds[1])
        guard spawned == 0, pid > 0 else {
            close(fds[0])
            throw WALError(.io, "cannot start \(executable.path)", errno: spawned)
        }
        self.pid = pid
        self.name = executable.lastPathComponent
        let (output, closed, readFD) = (output, closed, fds[0])
        let reader = Thread {
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                output.update { $0 += chunk[0..<count] }
            }
            close(readFD)
            closed.open()
        }
        reader.start()
    }

    /// What the child printed so far.
    var text: String { String(decoding: output.get(), as: UTF8.self) }

    /// Waits until `condition` holds for the output, or the child closed it,
    /// or `timeout` passed; returns whether `condition` held.
    func wait(until condition: (String) -> Bool, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(text) { return true }
            if closed.wait(timeout: .milliseconds(5)) { return condition(text) }
        }
        return condition(text)
    }

    /// Kills the child with SIGKILL, reaps it, and returns its output lines.
    func kill() -> [String] {
        _ = Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        #expect(closed.wait(timeout: .seconds(30)), "the pipe of \(name) never closed")
        return text.split(separator: "\n").map(String.init)
    }

    /// Runs until the child prints `done` (or an error, or exits), then kills it.
    static func runUntilDoneThenKill(_ executable: URL, _ arguments: [String], timeout: Duration = .seconds(120)) throws -> [String] {
        let child = try ChildProcess(executable, arguments)
        let finished = child.wait(until: { $0.hasSuffix("done\n") || $0.hasPrefix("error") || $0.contains("\nerror") }, timeout: timeout)
        let lines = child.kill()
        if !finished { Issue.record("\(executable.lastPathComponent) \(arguments) did not finish in time; it said: \(lines.suffix(5))") }
        return lines
    }
}
