import Foundation

/// Finds an executable of this package built beside the test bundle, for
/// tests that run the real binary (graph-server, walctl, the crash children).
package enum BuiltExecutable {
    package struct NotFound: Error, CustomStringConvertible {
        package var name: String
        package var searched: [String]
        package var description: String { "\(name) is not built beside the tests; searched \(searched)" }
    }

    /// The executable `name`: the path in `environmentVariable` when that is
    /// set, else the first `name` found in the test binary's folder or up to
    /// three folders above it.
    package static func url(named name: String, overriddenBy environmentVariable: String? = nil) throws -> URL {
        if let environmentVariable, let override = ProcessInfo.processInfo.environment[environmentVariable] {
            return URL(fileURLWithPath: override)
        }
        var candidates: [URL] = [
            Bundle.main.bundleURL,
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        ]
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent())
        }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent())
        }
        for directory in candidates {
            var current = directory
            for _ in 0..<4 {
                let binary = current.appendingPathComponent(name)
                if FileManager.default.isExecutableFile(atPath: binary.path) { return binary }
                current = current.deletingLastPathComponent()
            }
        }
        throw NotFound(name: name, searched: candidates.map(\.path))
    }
}
