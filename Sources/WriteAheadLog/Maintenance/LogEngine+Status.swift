extension LogEngine {
    /// What ``WAL/status()`` reports.
    func status() throws -> WALStatus {
        let entries = try directory.list()
        var total: UInt64 = 0
        for entry in entries {
            total += try directory.fileSystem.openFile(entry.path, mode: .readOnly).size()
        }
        let (active, oldest) = writer.withLock { ($0.segmentID, $0.oldestSegmentID) }
        return WALStatus(
            directory: directory.root, syncMode: options.syncMode, durableLSN: durableLSN, writtenLSN: writtenLSN,
            nextLSN: nextLSN, activeSegment: active, oldestSegment: oldest, segmentCount: entries.count,
            totalBytes: total, failure: failure)
    }
}
