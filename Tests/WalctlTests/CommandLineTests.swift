import Foundation
import Testing
import WALTestSupport

@Suite("walctl command line")
struct CommandLineTests {
    static let readCommands: [[String]] = [["status"], ["dump"], ["verify"], ["stats"], ["repair"], ["repair", "--dry-run"]]

    @Test("no command creates a directory that does not exist", arguments: readCommands + [["truncate", "--fence", "1"]])
    func missingDirectory(_ command: [String]) throws {
        let parent = TemporaryDirectory("missing")
        let missing = parent.child("not-here")
        let result = try Walctl.run([command[0], missing] + command.dropFirst())
        #expect(result.status == 66)
        #expect(result.stderr == "walctl: \(missing): no such directory\n")
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    @Test("a directory without segments is refused and left empty", arguments: readCommands)
    func emptyDirectory(_ command: [String]) throws {
        let directory = TemporaryDirectory("empty")
        let result = try Walctl.run([command[0], directory.path] + command.dropFirst())
        #expect(result.status == 66)
        #expect(result.stderr.contains("no segment files"))
        #expect(try directory.names().isEmpty)
    }

    @Test("a file where a directory belongs is one clear line")
    func notADirectory() throws {
        let directory = TemporaryDirectory("file")
        let file = directory.child("plain")
        try Data([1]).write(to: URL(fileURLWithPath: file))
        let result = try Walctl.run("verify", file)
        #expect(result.status == 66)
        #expect(result.stderr.hasPrefix("walctl: \(file): not a directory"))
    }

    @Test("bad arguments give one line on stderr and exit 64", arguments: [
        ["dump"], ["frobnicate"], ["status", "/tmp", "--bogus"], ["dump", "/tmp", "--from", "x"],
        ["dump", "/tmp", "--format", "xml"], ["truncate", "/tmp", "--fence", "-1"],
    ])
    func badArguments(_ arguments: [String]) throws {
        let result = try Walctl.run(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("walctl: "))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stdout.isEmpty)
    }

    @Test("every command's help has an example and the exit codes", arguments: [
        [], ["status"], ["dump"], ["verify"], ["repair"], ["truncate"], ["snapshot"], ["snapshot", "inspect"], ["stats"],
    ])
    func help(_ command: [String]) throws {
        let result = try Walctl.run(command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Example"))
        #expect(result.stdout.contains("Exit codes"))
    }
}
