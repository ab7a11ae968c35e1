extension LogEngine {
    /// Deletes sealed segments whose whole LSN range is at or below `fence`.
    ///
    /// The active segment and the one before it are always kept, so the log
    /// always starts with a self-describing segment even right after a
    /// checkpoint. Idempotent. Runs under the write lock, so it never races
    /// a rotation; appenders are not held up.
    ///
    /// Segments go oldest first, each removal made durable (directory fsync)
    /// before the next: a crash part-way leaves a log that starts later but
    /// has no hole, so replay can keep refusing a missing middle segment.
    func truncate(upTo fence: LSN) throws -> [SegmentID] {
        try writer.withLock { writer in
            guard !append.withLock({ $0.closed }) else {
                throw WALError(.closed, "the log was closed", operation: "truncate", path: directory.root)
            }
            let entries = try directory.list()
            var removed: [SegmentID] = []
            for (index, entry) in entries.enumerated() {
                guard entry.id.rawValue + 1 < writer.segmentID.rawValue, index + 1 < entries.count else { break }
                // Segment i covers [base(i), base(i+1) - 1].
                let nextBase = try directory.baseLSN(of: entries[index + 1].id)
                guard nextBase.rawValue - 1 <= fence.rawValue else { break }
                try directory.fileSystem.removeFile(entry.path)
                try directory.fileSystem.syncDirectory(directory.root)
                removed.append(entry.id)
                writer.oldestSegmentID = entries[index + 1].id
            }
            return removed
        }
    }
}
