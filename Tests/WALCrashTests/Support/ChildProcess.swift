import Foundation
import Testing
import WriteAheadLog

#if canImport(Glibc)
import Glibc
#endif

/// Runs an executable built next to the tests until it prints `done` (or
/// exits), then kills it with SIGKILL, and returns the lines it printed.
///
/// Spawned with `posix_spawn` and reaped with our own `waitpid`, so the pid
/// killed cannot have been reaped and reused in between.
enum ChildProcess {
    static func executable(_ name: String) throws -> URL {
        let candidates = [
            URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent(),
            Bundle.main.bundleURL.deletingLastPathComponent(),
            Bundle.main.bundleURL,
        ]
        for directory in candidates {
            let url = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        throw WALError(.invalidArgument, "\(name) is not built next to the tests (looked in \(candidates.map(\.path)))")
    }

    static func runUntilDoneThenKill(_ executable: URL, _ arguments: [String], timeout: Duration = .seconds(120)) throws -> [String] {
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
        let output = LockedBox<[UInt8]>([])
        let finished = Gate()
        let closed = Gate()
        let readFD = fds[0]
        let reader = Thread {
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                output.update { $0 += chunk[0..<count] }
                let text = String(decoding: output.get(), as: UTF8.self)
                if text.hasSuffix("done\n") || text.contains("\nerror") || text.hasPrefix("error") { finished.open() }
            }
            finished.open()
            closed.open()
        }
        reader.start()
        let inTime = finished.wait(timeout: timeout)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        _ = closed.wait(timeout: .seconds(30))
        close(readFD)
        let lines = String(decoding: output.get(), as: UTF8.self).split(separator: "\n").map(String.init)
        if !inTime { Issue.record("\(executable.lastPathComponent) \(arguments) did not finish in time; it said: \(lines.suffix(5))") }
        return lines
    }
}
