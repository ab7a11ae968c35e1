import Foundation

/// A temporary directory owned by one test, removed when it is released.
final class TemporaryDirectory: Sendable {
    let path: String

    init(_ name: String = #function) {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        path = NSTemporaryDirectory() + "graph-server-tests-\(safe.prefix(40))-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func child(_ name: String) -> String { path + "/" + name }
}
