/// One record as an inspection walk sees it.
public struct RecordView {
    public var kind: RecordKind
    public var lsn: LSN
    /// The owning transaction; for a checkpoint, the snapshot's LSN.
    public var txBeginLSN: LSN
    public var location: RecordLocation
    /// The record's size on disk, framing included.
    public var size: Int
    /// The payload bytes (event bytes; batch: count and length-prefixed events).
    public var payload: [UInt8]

    /// Decodes the events a mutation or batch record carries (none for markers).
    public func events<Event: WALEvent>(as type: Event.Type) throws -> [Event] {
        var events: [Event] = []
        let frame = RecordFrame(
            kind: kind, lsn: lsn, txBeginLSN: txBeginLSN, payloadOffset: 0, payloadCount: payload.count, size: size)
        try payload.withUnsafeBytes { bytes in
            try RecordCodec.forEachEvent(in: frame, of: bytes, as: Event.self) { events.append($0) }
        }
        return events
    }

    /// The length of each event a mutation or batch record carries, without decoding them.
    public var eventSizes: [Int] {
        (try? events(as: [UInt8].self).map(\.count)) ?? []
    }
}

/// Read-only inspection of a log directory for operator tools: every
/// record with its location, and the same checks replay makes.
public enum WALInspector {
    /// Walks every record in LSN order, handing each to `visit`, and checks
    /// framing, checksums, LSN order and the transaction rules. Takes no
    /// lock and writes nothing.
    ///
    /// In strict mode the first problem other than a torn tail throws; in
    /// salvage mode it ends the walk and is reported in `damage`.
    public static func scan(
        directory: String, recoveryMode: RecoveryMode = .strict,
        visit: (RecordView) throws -> Void
    ) throws -> ReplayReport {
        let fileSystem = PosixFileSystem()
        guard fileSystem.isDirectory(directory) else {
            throw WALError(.invalidArgument, "no log directory here", operation: "scan", path: directory)
        }
        let segments = SegmentDirectory(root: directory, fileSystem: fileSystem)
        var report = ReplayReport()
        var replayer = Replayer(fence: .none)
        do {
            var walker = LogWalker(directory: segments, mode: recoveryMode)
            walker.readsWithoutLock = true
            try walker.walk(into: &report) { frame, bytes, location in
                try replayer.visit(frame, bytes) { _, _, _ in }
                let payload = Array(
                    UnsafeRawBufferPointer(rebasing: bytes[frame.payloadOffset..<(frame.payloadOffset + frame.payloadCount)]))
                do {
                    try visit(
                        RecordView(
                            kind: frame.kind, lsn: frame.lsn, txBeginLSN: frame.txBeginLSN, location: location,
                            size: frame.size, payload: payload))
                } catch {
                    throw ConsumerError(underlying: error)
                }
            }
        } catch let error as ConsumerError {
            throw error.underlying
        }
        replayer.finish(report: &report)
        return report
    }

    /// Whether a live handle holds the directory lock now.
    public static func isLocked(directory: String) -> Bool {
        PosixFileSystem().isDirectoryLocked(directory)
    }

    /// Cuts a torn tail or (with `.salvage`) sets damage aside exactly as
    /// `open` would, under the directory lock, then closes. Returns what
    /// replay found and what was done.
    public static func repair(directory: String, recoveryMode: RecoveryMode) throws -> ReplayReport {
        // Write calls: an offline repair cuts files and must not grow them again.
        let options = WALOptions(syncMode: .none, recoveryMode: recoveryMode, writeMode: .writeCalls)
        let (engine, report) = try LogEngine.open(at: directory, options: options, fence: .none, fencePosition: nil, as: [UInt8].self) { _ in }
        try engine.close()
        return report
    }

    /// Truncates sealed segments up to `fence` under the directory lock, as
    /// `WAL.truncate(upTo:)` does, then closes.
    public static func truncate(directory: String, upTo fence: LSN) throws -> [SegmentID] {
        let (engine, _) = try LogEngine.open(
            at: directory, options: WALOptions(syncMode: .none, writeMode: .writeCalls), fence: .none, fencePosition: nil, as: [UInt8].self
        ) { _ in }
        defer { try? engine.close() }
        return try engine.truncate(upTo: fence)
    }
}
