import Foundation

/// A fresh directory under the system's temporary folder, removed with
/// everything in it when the value goes away. Each test makes its own, so
/// tests run in parallel and repeatedly without seeing each other's files.
package final class TemporaryDirectory: Sendable {
    package let path: String

    /// `label` (by default the calling function's name) goes into the
    /// directory's name, to tell whose a leftover one was.
    package init(_ label: String = #function) {
        let safe = label.filter { $0.isLetter || $0.isNumber }
        path = NSTemporaryDirectory() + "swift-graph-wal-\(safe.prefix(40))-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A path inside the directory (not created).
    package func child(_ name: String) -> String { path + "/" + name }

    /// Sorted names of the entries of `subpath` (the directory itself by default).
    package func names(_ subpath: String = "") throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: subpath.isEmpty ? path : child(subpath)).sorted()
    }
}
