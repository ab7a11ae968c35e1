import WALTestSupport

extension TemporaryDirectory {
    /// Sorted names of the segment files.
    func segmentNames() throws -> [String] {
        try names().filter { $0.hasSuffix(".wal") }
    }
}
