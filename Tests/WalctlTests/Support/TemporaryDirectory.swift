import Foundation

/// A fresh directory for one test, removed when the test is done.
///
/// Each gets a unique name, so tests run in parallel and repeatedly
/// without seeing each other's logs.
final class TemporaryDirectory {
    let path: String

    init(_ label: String = "log") throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("walctl-tests-\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// A path inside the directory.
    func path(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    /// Sorted names of the entries of `subpath` (the directory itself by default).
    func names(_ subpath: String = "") throws -> [String] {
        let directory = subpath.isEmpty ? path : self.path(subpath)
        return try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
    }

    /// Sorted names of the segment files.
    func segmentNames() throws -> [String] {
        try names().filter { $0.hasSuffix(".wal") }
    }
}
