extension LogEngine {
    /// Opens (or creates) the log at `path`: takes the lock, replays, cuts a
    /// torn tail or (salvage) sets damage aside, and resumes appending.
    static func open<Event: WALEvent>(
        at path: String, options: WALOptions, fence: LSN, fencePosition: LogPosition?, as _: Event.Type,
        _ deliver: (CommittedTransaction<Event>) throws -> Void
    ) throws -> (LogEngine, ReplayReport) {
        try open(at: path, options: options, fence: fence) { directory in
            try replayDirectory(
                directory, fence: fence, mode: options.recoveryMode, as: Event.self, progress: options.replayProgress,
                skipsCoveredSegments: true, fencePosition: fencePosition, readsAhead: options.replayReadsAhead, deliver)
        }
    }

    /// Opens the log as above, handing each committed transaction over encoded.
    static func open(
        at path: String, options: WALOptions, fence: LSN, fencePosition: LogPosition?,
        encoded deliver: (EncodedTransaction) throws -> Void
    ) throws -> (LogEngine, ReplayReport) {
        try open(at: path, options: options, fence: fence) { directory in
            try replayEncoded(
                directory, fence: fence, mode: options.recoveryMode, progress: options.replayProgress,
                skipsCoveredSegments: true, fencePosition: fencePosition, readsAhead: options.replayReadsAhead, deliver)
        }
    }

    private static func open(
        at path: String, options: WALOptions, fence: LSN, replay: (SegmentDirectory) throws -> ReplayReport
    ) throws -> (LogEngine, ReplayReport) {
        let fileSystem = options.fileSystem
        let directory = SegmentDirectory(root: path, fileSystem: fileSystem)
        try fileSystem.createDirectoryDurably(path)
        let lock = try fileSystem.lockDirectory(path)
        do {
            try removeStaleTemporaryFiles(in: directory)
            var report = ReplayReport()
            if try !directory.list().isEmpty {
                report = try replay(directory)
            }
            if report.damage != nil {
                report.quarantined = try quarantine(after: report, in: directory)
            }
            if let torn = report.tornTail {
                // Made durable below, with the rest of what recovery read.
                try fileSystem.openFile(torn.path, mode: .readWrite).truncate(to: torn.offset)
            }
            report.continuedAboveFence = try continueAboveFence(fence, after: report, in: directory)
            let (file, id, base, offset) = try resumeAppending(in: directory, after: report, fence: fence)
            if report.segments.isEmpty || report.continuedAboveFence != nil {
                // The segments set aside are listed in `continuedAboveFence`.
                report.segments = [
                    SegmentSummary(
                        id: id, path: directory.path(for: id), baseLSN: base, isSealed: false, firstLSN: .none, lastLSN: .none,
                        fileBytes: offset, validBytes: offset, records: 0)
                ]
            }
            // Recovery read the log through the page cache: a process that
            // was killed leaves commits there that no fsync covered. They
            // are reported durable from now on, so make them so before
            // anything (a snapshot stamped with this LSN, a commit acked as
            // durable) can depend on it. This also makes the torn-tail cut
            // and a segment created just now durable.
            try makeRecoveredLogDurable(directory)
            let oldest = try directory.list().first?.id
            let engine = try start(directory, options, lock, file: file, id: id, base: base, offset: offset, report: report, oldest: oldest)
            return (engine, report)
        } catch {
            lock.release()
            throw error
        }
    }

    /// Opens the segment appending resumes in: the last one when it is not
    /// sealed, or a new one after it (a crash between sealing and creating
    /// the successor, or an empty directory). The caller fsyncs the
    /// directory before any record goes in.
    private static func resumeAppending(
        in directory: SegmentDirectory, after report: ReplayReport, fence: LSN
    ) throws -> (file: any StorageFile, id: SegmentID, base: LSN, offset: UInt64) {
        let fileSystem = directory.fileSystem
        let entries = try directory.list()
        guard let last = entries.last else {
            // A new log, or one that continues above its fence: the first
            // LSN lies above the fence, so no recovery skips it as covered.
            let id = try report.continuedAboveFence?.lastSetAside.successor() ?? .first
            let base = try max(LSN.first, fence.successor())
            return (try directory.create(id, baseLSN: base), id, base, UInt64(SegmentHeader.size))
        }
        if let summary = report.segments.last(where: { $0.id == last.id }), !summary.isSealed {
            let file = try fileSystem.openFile(last.path, mode: .readWrite)
            return (file, last.id, summary.baseLSN, report.tornTail?.offset ?? summary.validBytes)
        }
        // The last segment is sealed (a crash between sealing and creating
        // its successor) or gone: start a fresh one, chained to it
        // (SegmentHeader.successorBaseLSN) and above every record read.
        let id = try last.id.successor()
        let previousBase = try report.segments.last(where: { $0.id == last.id })?.baseLSN ?? directory.baseLSN(of: last.id)
        let previousLast = report.segments.last(where: { $0.id == last.id })?.lastLSN ?? .none
        let base = max(try report.maxLSN.successor(), SegmentHeader.successorBaseLSN(base: previousBase, lastLSN: previousLast))
        return (try directory.create(id, baseLSN: base), id, base, UInt64(SegmentHeader.size))
    }

    /// fdatasyncs the last two segments (the active one, and the one a
    /// rotation may have been sealing) and fsyncs the directory. Older
    /// segments were fsynced before their successor was created.
    private static func makeRecoveredLogDurable(_ directory: SegmentDirectory) throws {
        let fileSystem = directory.fileSystem
        for entry in try directory.list().suffix(2) {
            try fileSystem.openFile(entry.path, mode: .readOnly).sync()
        }
        try fileSystem.syncDirectory(directory.root)
    }

    private static func start(
        _ directory: SegmentDirectory, _ options: WALOptions, _ lock: any DirectoryLock, file: any StorageFile,
        id: SegmentID, base: LSN, offset: UInt64, report: ReplayReport, oldest: SegmentID? = nil
    ) throws -> LogEngine {
        let nextLSN = max(try report.maxLSN.successor(), base)
        var append = AppendState(
            nextLSN: nextLSN, segmentID: id, segmentBytes: offset,
            newestSnapshotLSN: report.newestCheckpoint?.snapshotLSN ?? .none)
        append.sealsOlderFormat = (report.segments.last { $0.id == id }?.formatVersion ?? SegmentHeader.currentVersion) < SegmentHeader.currentVersion
        // Everything readable at open is durable (`open` fsynced it) and new
        // records go after it. When the active segment starts above the last
        // record (an empty segment with a higher base), the LSNs in between
        // hold nothing and count as durable too: no write could ever cover
        // them, and sync and close would wait for them forever.
        let writer = WriterState(
            file: file, segmentID: id, baseLSN: base, fileOffset: offset, writtenLSN: LSN(nextLSN.rawValue - 1),
            oldestSegmentID: oldest ?? id)
        let engine = try LogEngine(directory: directory, options: options, lock: lock, append: append, writer: writer)
        let mapping = try engine.prepareForAppending(file, from: offset)
        engine.writer.withLock { $0.mapping = mapping }
        try engine.startFlusher()
        return engine
    }

    /// A segment is created under a temp name and renamed into place; a
    /// temp file left by a crash never became part of the log.
    private static func removeStaleTemporaryFiles(in directory: SegmentDirectory) throws {
        for name in try directory.fileSystem.listDirectory(directory.root)
        where name.hasSuffix(".tmp") && SegmentID(fileName: String(name.dropLast(4))) != nil {
            try directory.fileSystem.removeFile(joinPath(directory.root, name))
        }
    }
}
