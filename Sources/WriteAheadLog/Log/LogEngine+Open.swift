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
            var report: ReplayReport
            if try directory.list().isEmpty {
                report = ReplayReport()
                let file = try directory.create(.first, baseLSN: .first)
                try fileSystem.syncDirectory(path)
                report.segments = [
                    SegmentSummary(
                        id: .first, path: directory.path(for: .first), baseLSN: .first, isSealed: false, firstLSN: .none,
                        lastLSN: .none, fileBytes: UInt64(SegmentHeader.size), validBytes: UInt64(SegmentHeader.size), records: 0)
                ]
                return (try start(directory, options, lock, file: file, id: .first, base: .first, offset: UInt64(SegmentHeader.size), report: report), report)
            }
            report = try replayDirectory(directory, fence: fence, mode: options.recoveryMode, as: Event.self, progress: options.replayProgress, deliver)
            if report.damage != nil {
                report.quarantined = try quarantine(after: report, in: directory)
            }
            if let torn = report.tornTail {
                let file = try fileSystem.openFile(torn.path, mode: .readWrite)
                try file.truncate(to: torn.offset)
                try file.sync()
            }
            let entries = try directory.list()
            let nextLSN = try report.maxLSN.successor()
            guard let last = entries.last, let summary = report.segments.last(where: { $0.id == last.id }),
                !summary.isSealed
            else {
                // The last segment is sealed (a crash between sealing and
                // creating its successor) or gone: start a fresh one.
                // Its base LSN must also rise above the sealed segment's,
                // which can lie above the last record when that segment is
                // empty; otherwise the next open refuses the log.
                let id = try entries.last.map { try $0.id.successor() } ?? .first
                var base = nextLSN
                if let last = entries.last {
                    let previousBase = try report.segments.last(where: { $0.id == last.id })?.baseLSN ?? directory.baseLSN(of: last.id)
                    base = max(base, try previousBase.successor())
                }
                let file = try directory.create(id, baseLSN: base)
                try fileSystem.syncDirectory(path)
                let engine = try start(directory, options, lock, file: file, id: id, base: base, offset: UInt64(SegmentHeader.size), report: report, oldest: entries.first?.id)
                return (engine, report)
            }
            let file = try fileSystem.openFile(last.path, mode: .readWrite)
            let offset = report.tornTail?.offset ?? summary.validBytes
            let engine = try start(directory, options, lock, file: file, id: last.id, base: summary.baseLSN, offset: offset, report: report, oldest: entries.first?.id)
            return (engine, report)
        } catch {
            lock.release()
            throw error
        }
    }

    private static func start(
        _ directory: SegmentDirectory, _ options: WALOptions, _ lock: any DirectoryLock, file: any StorageFile,
        id: SegmentID, base: LSN, offset: UInt64, report: ReplayReport, oldest: SegmentID? = nil
    ) throws -> LogEngine {
        let nextLSN = max(try report.maxLSN.successor(), base)
        let append = AppendState(
            nextLSN: nextLSN, segmentID: id, segmentBytes: offset,
            newestSnapshotLSN: report.newestCheckpoint?.snapshotLSN ?? .none)
        // Everything readable at open is the recovered durability fence: it
        // survived to this open, and new records go after it. When the
        // active segment starts above the last record (an empty segment
        // with a higher base), the LSNs in between hold nothing and count
        // as durable too: no write could ever cover them, and sync and
        // close would wait for them forever.
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

    /// Salvage: copies the damaged segment into `quarantine/` and cuts the
    /// original to its valid prefix (or moves it whole when no valid record
    /// precedes the damage), then moves every later segment there whole.
    /// Nothing is deleted.
    private static func quarantine(after report: ReplayReport, in directory: SegmentDirectory) throws -> [QuarantinedFile] {
        guard let damage = report.damage else { return [] }
        let fileSystem = directory.fileSystem
        let folder = directory.quarantinePath
        try fileSystem.createDirectory(folder)
        var existing = Set(try fileSystem.listDirectory(folder))
        var moved: [QuarantinedFile] = []
        for entry in try directory.list() where entry.id >= damage.segment {
            var name = entry.id.fileName
            var suffix = 1
            while existing.contains(name) {
                name = entry.id.fileName + ".\(suffix)"
                suffix += 1
            }
            existing.insert(name)
            let destination = joinPath(folder, name)
            // Cut in place only when a valid record precedes the damage. A
            // segment cut to its bare header would stay behind sealed and
            // empty, and its successor would get the same base LSN, which
            // the next open refuses; with nothing to keep it moves whole.
            if entry.id == damage.segment && damage.offset > UInt64(SegmentHeader.size) {
                try copyFile(entry.path, to: destination, fileSystem: fileSystem)
                let file = try fileSystem.openFile(entry.path, mode: .readWrite)
                try file.truncate(to: damage.offset)
                try file.sync()
                moved.append(QuarantinedFile(original: entry.path, quarantined: destination, keptValidPrefix: true))
            } else {
                try fileSystem.rename(entry.path, to: destination)
                moved.append(QuarantinedFile(original: entry.path, quarantined: destination, keptValidPrefix: false))
            }
        }
        try fileSystem.syncDirectory(folder)
        try fileSystem.syncDirectory(directory.root)
        return moved
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
