import Foundation

/// Runs this same `walbench` executable as a child process with `arguments`
/// and decodes the one JSON value it prints on stdout.
///
/// Recovery is measured this way so that its peak memory is its own: what
/// earlier workloads left in the parent's heap neither hides nor inflates
/// it. The child's stderr stays the parent's, so its errors show.
enum ChildMeasurement {
    static func run<Measurement: Decodable>(_ arguments: [String], as: Measurement.Type) throws -> Measurement {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executablePath())
        // The child measures under the parent's heap settings.
        let inherited = CommandLine.arguments.contains("--glibc-heap-defaults") ? ["--glibc-heap-defaults"] : []
        process.arguments = arguments + inherited
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError("the child `walbench \(arguments.joined(separator: " "))` exited with status \(process.terminationStatus)")
        }
        return try JSONDecoder().decode(Measurement.self, from: data)
    }

    /// The child's side: prints `measurement` as the one JSON value on stdout.
    static func report<Measurement: Encodable>(_ measurement: Measurement) throws {
        FileHandle.standardOutput.write(try JSONEncoder().encode(measurement))
    }

    private static func executablePath() throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { throw BenchError.posix("readlink", path: "/proc/self/exe") }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
