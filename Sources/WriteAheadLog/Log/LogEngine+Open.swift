extension LogEngine {
    /// Opens (or creates) the log at `path`: takes the lock, replays, cuts a
    /// torn tail or (salvage) sets damage aside, and resumes appending.
    static func open<Event: WALEvent>(
        at path: String, options: WALOptions, fence: LSN, as _: Event.Type,
        _ deliver: (CommittedTransaction<Event>) throws -> Void
    ) throws -> (LogEngine, ReplayReport) {
        let fileSystem = options.fileSystem
        let directory = SegmentDirectory(root: path, fileSystem: fileSystem)
        try fileSystem.createDirectoryDurably(path)
        let lock = try fileSystem.lockDirectory(path)
        do {
            try removeStaleTemporaryFiles(in: directory)
            var report = ReplayReport()
            if try !directory.list().isEmpty {
                report = try replayDirectory(directory, fence: fence, mode: options.recoveryMode, as: Event.self, progress: options.replayProgress, deliver)
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
        // its successor) or gone: start a fresh one. Its base LSN must also
        // rise above the sealed segment's, which can lie above the last
        // record when that segment is empty; otherwise the next open
        // refuses the log.
        let id = try last.id.successor()
        let previousBase = try report.segments.last(where: { $0.id == last.id })?.baseLSN ?? directory.baseLSN(of: last.id)
        let base = max(try report.maxLSN.successor(), try previousBase.successor())
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

    /// When the log ends below `fence` (a snapshot newer than the log: a
    /// restore from a backup, a log that lost its unsynced tail or was cut
    /// by salvage, a log directory replaced), the next LSNs it would hand
    /// out are at or below the fence, and the next recovery would skip the
    /// transactions they carry as already in the snapshot. Everything the
    /// log holds is at or below the fence, so the snapshot covers it: its
    /// segments move to `superseded/`, oldest first, each move made durable
    /// before the next (the log is always a suffix of itself, never a
    /// hole), and appending starts a new segment above the fence. Nothing
    /// is deleted. Returns nil when the log reaches the fence.
    private static func continueAboveFence(
        _ fence: LSN, after report: ReplayReport, in directory: SegmentDirectory
    ) throws -> FenceContinuation? {
        let entries = try directory.list()
        guard let last = entries.last else { return nil }
        let lastBase = try report.segments.last(where: { $0.id == last.id })?.baseLSN ?? directory.baseLSN(of: last.id)
        let logEnd = max(report.maxLSN, LSN(lastBase.rawValue - 1))
        guard fence > logEnd else { return nil }
        let fileSystem = directory.fileSystem
        let folder = directory.supersededPath
        try fileSystem.createDirectoryDurably(folder)
        var moved: [QuarantinedFile] = []
        for entry in entries {
            let destination = try uniqueName(for: entry.id, in: folder, fileSystem: fileSystem)
            try fileSystem.rename(entry.path, to: destination)
            try fileSystem.syncDirectory(directory.root)
            moved.append(QuarantinedFile(original: entry.path, quarantined: destination, keptValidPrefix: false))
        }
        try fileSystem.syncDirectory(folder)
        return FenceContinuation(fence: fence, logEnd: logEnd, lastSetAside: last.id, setAside: moved)
    }

    /// `folder/<segment name>`, with `.1`, `.2`, ... appended while that is taken.
    private static func uniqueName(for id: SegmentID, in folder: String, fileSystem: any FileSystem) throws -> String {
        let existing = Set(try fileSystem.listDirectory(folder))
        var name = id.fileName
        var suffix = 1
        while existing.contains(name) {
            name = id.fileName + ".\(suffix)"
            suffix += 1
        }
        return joinPath(folder, name)
    }

    private static func start(
        _ directory: SegmentDirectory, _ options: WALOptions, _ lock: any DirectoryLock, file: any StorageFile,
        id: SegmentID, base: LSN, offset: UInt64, report: ReplayReport, oldest: SegmentID? = nil
    ) throws -> LogEngine {
        let nextLSN = max(try report.maxLSN.successor(), base)
        let append = AppendState(
            nextLSN: nextLSN, segmentID: id, segmentBytes: offset,
            newestSnapshotLSN: report.newestCheckpoint?.snapshotLSN ?? .none)
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

    /// Salvage: sets aside in `quarantine/` everything from the damage on:
    /// a copy of the damaged segment, then every later segment moved whole,
    /// newest first; then cuts the damaged segment to its valid prefix (or
    /// moves it whole when no valid record precedes the damage). Nothing is
    /// deleted.
    ///
    /// Every step is durable before the next. The copy, and the folder
    /// entry naming it, are fsynced before anything else changes, so what
    /// is set aside is never lost even if a crash then leaves the damaged
    /// segment last, where a torn-tail cut could reach it. Each move is
    /// fsynced in the log directory before the next, so a crash leaves the
    /// log a prefix of itself, never a hole a later open would refuse.
    private static func quarantine(after report: ReplayReport, in directory: SegmentDirectory) throws -> [QuarantinedFile] {
        guard let damage = report.damage else { return [] }
        let fileSystem = directory.fileSystem
        let folder = directory.quarantinePath
        try fileSystem.createDirectoryDurably(folder)
        let entries = try directory.list().filter { $0.id >= damage.segment }
        // Cut in place only when a valid record precedes the damage. A
        // segment cut to its bare header would stay behind sealed and
        // empty, and its successor would get the same base LSN, which the
        // next open refuses; with nothing to keep it moves whole.
        let cutInPlace = damage.offset > UInt64(SegmentHeader.size)
        var copied: QuarantinedFile?
        if cutInPlace, let damaged = entries.first(where: { $0.id == damage.segment }) {
            let destination = try uniqueName(for: damaged.id, in: folder, fileSystem: fileSystem)
            try copyFile(damaged.path, to: destination, fileSystem: fileSystem)
            try fileSystem.syncDirectory(folder)
            copied = QuarantinedFile(original: damaged.path, quarantined: destination, keptValidPrefix: true)
        }
        var moved: [QuarantinedFile] = []
        for entry in entries.reversed() where !(cutInPlace && entry.id == damage.segment) {
            let destination = try uniqueName(for: entry.id, in: folder, fileSystem: fileSystem)
            try fileSystem.rename(entry.path, to: destination)
            try fileSystem.syncDirectory(directory.root)
            moved.append(QuarantinedFile(original: entry.path, quarantined: destination, keptValidPrefix: false))
        }
        try fileSystem.syncDirectory(folder)
        if let copied {
            let file = try fileSystem.openFile(copied.original, mode: .readWrite)
            try file.truncate(to: damage.offset)
            try file.sync()
        }
        return (copied.map { [$0] } ?? []) + moved.reversed()
    }

    private static func copyFile(_ source: String, to destination: String, fileSystem: any FileSystem) throws {
        let input = try fileSystem.openFile(source, mode: .readOnly)
        let output = try fileSystem.openFile(destination, mode: .createNew)
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: UInt64 = 0
        while true {
            let count = try buffer.withUnsafeMutableBytes { try input.read(into: $0, at: offset) }
            if count == 0 { break }
            try buffer.withUnsafeBytes { try output.write(UnsafeRawBufferPointer(rebasing: $0[0..<count]), at: offset) }
            offset += UInt64(count)
        }
        try output.sync()
    }
}
