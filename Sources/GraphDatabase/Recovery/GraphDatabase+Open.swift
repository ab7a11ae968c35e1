import GraphStore
import Logging
import Synchronization
import WriteAheadLog

extension GraphDatabase {
    /// Opens a database: loads the newest valid snapshot, replays the log
    /// above its fence, and returns what it recovered.
    ///
    /// A corrupt newest snapshot is passed over, with a warning, for the one
    /// before it. The log is never truncated past the oldest kept snapshot,
    /// so that fallback loses nothing.
    public static func open(_ configuration: GraphDatabaseConfiguration = GraphDatabaseConfiguration()) throws
        -> (database: GraphDatabase, recovery: RecoveryReport)
    {
        let clock = ContinuousClock()
        let started = clock.now
        let logger = configuration.logger
        try validate(configuration)
        if case .dataDirectory(let root) = configuration.storage {
            do { try configuration.wal.fileSystem.createDirectoryDurably(root) } catch {
                throw GraphDatabaseError(.invalidConfiguration, "cannot create the data directory: \(error)", path: root)
            }
        }
        let snapshots = SnapshotCatalog(configuration: configuration)
        var report = RecoveryReport()
        var store = GraphStore()
        /// Where the snapshot's fence record starts in the log, if it says.
        var fencePosition: LogPosition?

        for entry in try snapshots.misnamedSnapshots() {
            let nameLSN = entry.nameLSN ?? .none
            logger.warning(
                "snapshot file name disagrees with its header; ordering it by the header",
                metadata: ["path": "\(entry.path)", "nameLSN": "\(nameLSN)", "headerLSN": "\(entry.walLSN)"])
            report.misnamedSnapshots.append(MisnamedSnapshot(path: entry.path, nameLSN: nameLSN, headerLSN: entry.walLSN))
        }

        for candidate in try snapshots.candidates() {
            let loaded: LoadedSnapshot
            do {
                loaded = try snapshots.files.load(candidate.path)
            } catch {
                logger.warning(
                    "snapshot is unusable; trying an older one",
                    metadata: ["path": "\(candidate.path)", "reason": "\(error)"])
                report.skippedSnapshots.append(SkippedSnapshot(path: candidate.path, reason: "\(error)"))
                continue
            }
            // Not a reason to fall back: an older snapshot may lack what
            // the log was truncated for, and the failure is the disk's.
            try snapshots.files.makeDurable(candidate.path)
            store = loaded.store
            report.snapshotPath = candidate.path
            report.snapshotLSN = loaded.walLSN
            fencePosition = loaded.logPosition
            break
        }
        if report.snapshotPath == nil, let skipped = report.skippedSnapshots.first {
            throw GraphDatabaseError(
                .recovery,
                "no usable snapshot: every candidate is damaged (newest: \(skipped.reason)); restore one or move them aside to recover from the log alone",
                path: skipped.path)
        }

        var wal: WAL<MutationEvent>?
        var lastCommitLSN = report.snapshotLSN
        var annotations: [RecoveredAnnotation] = []
        if let directory = configuration.walDirectory {
            try requireLogReachesSnapshot(directory, configuration.wal.fileSystem, report)
            let progress = ReplayProgressLog(logger: logger)
            var options = configuration.wal
            options.replayProgress = { progress.scanned($0.scannedBytes, of: $0.totalBytes) }
            do {
                // Most events are read from their bytes; the rest are decoded.
                // All of a transaction is read before any of it is applied, so
                // an event that does not decode (damage, where salvage stops)
                // leaves none of its transaction behind.
                var reader = EncodedReplay()
                var prepared: [PreparedEvent] = []
                var unreportedEvents = 0
                let (opened, walReport) = try WAL<MutationEvent>.openEncoded(
                    directory: directory, options: options, fence: report.snapshotLSN, fencePosition: fencePosition
                ) { transaction in
                    func apply(_ event: PreparedEvent) throws {
                        do { try store.apply(event) } catch {
                            throw GraphDatabaseError(
                                .recovery,
                                "replaying the transaction committed at LSN \(transaction.commitLSN) failed: \(error)",
                                path: directory, graphError: error)
                        }
                    }
                    prepared.removeAll(keepingCapacity: true)
                    var loadedSnapshot = false
                    try transaction.forEachEvent { encoded in
                        if let event = reader.prepare(encoded.bytes, for: &store) {
                            // A transaction of one event, most of a large log's,
                            // is whole once read: applied at once, not listed.
                            if transaction.eventCount == 1 { return try apply(event) }
                            prepared.append(event)
                            return
                        }
                        let event = try encoded.decode(as: MutationEvent.self)
                        if case .annotation(let name, let text) = event {
                            annotations.append(RecoveredAnnotation(commitLSN: transaction.commitLSN, name: name, text: text))
                            try refuseReplayAcrossLoad(name: name, text: text, commitLSN: transaction.commitLSN, from: report, directory: directory)
                            loadedSnapshot = transaction.eventCount == 1 && Self.loadedSnapshotLSN(of: [event]) != nil
                        }
                        prepared.append(PreparedEvent(event))
                    }
                    for event in prepared { try apply(event) }
                    // The progress log takes a lock and reads the clock: not per transaction.
                    unreportedEvents += transaction.eventCount
                    if unreportedEvents >= 4096 {
                        progress.transaction(events: unreportedEvents)
                        unreportedEvents = 0
                    }
                    // A load's own annotation changes no node: the graph is
                    // still the base's, which a load without a path may
                    // bring back without discarding anything.
                    if !loadedSnapshot { lastCommitLSN = transaction.commitLSN }
                }
                wal = opened
                report.wal = walReport
                report.transactionsReplayed = walReport.transactionsReplayed
                report.eventsReplayed = walReport.eventsReplayed
                if let marker = walReport.newestCheckpoint, marker.snapshotLSN > report.snapshotLSN {
                    report.newerCheckpointInLog = marker
                    logger.warning(
                        "the log holds a checkpoint newer than the snapshot used; that snapshot is missing or damaged, so more of the log was replayed",
                        metadata: ["markerSnapshotLSN": "\(marker.snapshotLSN)", "usedSnapshotLSN": "\(report.snapshotLSN)"])
                }
                if let continuation = walReport.continuedAboveFence {
                    logger.warning(
                        "the log ended below the snapshot's LSN; it continues above it, and its old segments (all covered by the snapshot) were moved aside",
                        metadata: [
                            "snapshotLSN": "\(continuation.fence)", "logEnd": "\(continuation.logEnd)",
                            "movedTo": "\(continuation.setAside.map { $0.quarantined })",
                        ])
                }
                if case .ignored(let reason) = walReport.fencePosition, let fencePosition {
                    logger.notice(
                        "the snapshot's log position does not match the log; its segment was read from the start",
                        metadata: ["position": "\(fencePosition)", "reason": "\(reason)"])
                }
                if !walReport.quarantined.isEmpty {
                    logger.error(
                        "salvage recovery set damaged log segments aside",
                        metadata: ["files": "\(walReport.quarantined.map { $0.quarantined })"])
                }
            } catch let error as GraphDatabaseError {
                throw error
            } catch {
                throw GraphDatabaseError.wrap(error, "cannot open the log in \(directory)")
            }
        }
        // Only now, holding the log's directory lock (when there is a log),
        // is no other process writing a snapshot here.
        do {
            report.removedTemporaryFiles = try snapshots.removeStaleTemporaryFiles()
        } catch {
            logger.warning("cannot remove a stale temporary snapshot file", metadata: ["reason": "\(error)"])
        }
        if !report.removedTemporaryFiles.isEmpty {
            logger.notice(
                "removed temporary snapshot files a crash mid-write left behind",
                metadata: ["files": "\(report.removedTemporaryFiles)"])
        }
        report.duration = clock.now - started
        logger.info(
            "recovered",
            metadata: [
                "snapshot": "\(report.snapshotPath ?? "none")", "snapshotLSN": "\(report.snapshotLSN)",
                "transactions": "\(report.transactionsReplayed)", "events": "\(report.eventsReplayed)",
                "logPosition": "\(report.wal?.fencePosition ?? .notGiven)", "duration": "\(report.duration)",
            ])
        let database = GraphDatabase(
            configuration: configuration, wal: wal, snapshots: snapshots, store: store, lastCommitLSN: lastCommitLSN,
            recoveredAnnotations: annotations, snapshotBytes: report.snapshotPath.map { snapshots.files.size(of: $0) } ?? 0)
        return (database, report)
    }

    /// Refuses to replay past a snapshot load when recovery started from a
    /// snapshot older than the base that load wrote: the log does not hold
    /// the loaded graph, only what was committed on top of it.
    static func refuseReplayAcrossLoad(name: String, text: String, commitLSN: LSN, from report: RecoveryReport, directory: String) throws {
        guard name == snapshotLoadAnnotation, let base = UInt64(text), base > report.snapshotLSN.rawValue else { return }
        let start = report.snapshotPath.map { "the snapshot at LSN \(report.snapshotLSN) (\($0))" } ?? "no snapshot"
        throw GraphDatabaseError(
            .recovery,
            "the graph was replaced by a snapshot load at LSN \(commitLSN) (its base was stamped LSN \(base)), but recovery started from \(start), before it: replaying the log would give a graph that never existed. Recover from the load's base or a later snapshot (for an archive: restore to an LSN before \(base), or after a snapshot archived since)",
            path: directory)
    }

    /// Refuses a log whose oldest segment starts above the snapshot's LSN + 1.
    ///
    /// Checkpoints truncate the log only up to a snapshot they keep, so such
    /// a gap means the snapshot the log was truncated for is gone (or an
    /// operator truncated by hand). Replaying anyway would rebuild a graph
    /// without the transactions in the gap, silently; instead recovery stops
    /// and says which LSNs are missing. A log that cannot be read here is
    /// left to the log's own recovery, which names the damage.
    private static func requireLogReachesSnapshot(_ directory: String, _ fileSystem: any FileSystem, _ report: RecoveryReport) throws {
        let segments = SegmentDirectory(root: directory, fileSystem: fileSystem)
        guard fileSystem.isDirectory(directory), let oldest = try? segments.list().first,
            let base = try? segments.baseLSN(of: oldest.id), base.rawValue > report.snapshotLSN.rawValue + 1
        else { return }
        let snapshot =
            report.snapshotPath.map { "the newest usable snapshot (\($0)) is stamped LSN \(report.snapshotLSN)" }
            ?? "no snapshot was found"
        throw GraphDatabaseError(
            .recovery,
            "the log starts at LSN \(base), older segments having been removed after a checkpoint, but \(snapshot): transactions at LSNs \(report.snapshotLSN.rawValue + 1)...\(base.rawValue - 1) are in neither. Restore the snapshot the log was truncated for and open again",
            path: directory)
    }

    private static func validate(_ configuration: GraphDatabaseConfiguration) throws {
        if let commits = configuration.checkpointEveryCommits, commits < 1 {
            throw GraphDatabaseError(.invalidConfiguration, "checkpointEveryCommits must be at least 1, not \(commits)")
        }
        if let bytes = configuration.checkpointEveryBytes, bytes < 1 {
            throw GraphDatabaseError(.invalidConfiguration, "checkpointEveryBytes must be at least 1")
        }
        if let ratio = configuration.checkpointLogToSnapshotRatio, !(ratio.isFinite && ratio >= 0) {
            throw GraphDatabaseError(
                .invalidConfiguration, "checkpointLogToSnapshotRatio must be a finite number of at least 0, not \(ratio)")
        }
        let fileSystem = configuration.wal.fileSystem
        var paths: [(String, String)] = []
        switch configuration.storage {
        case .inMemory: break
        case .dataDirectory(let root): paths.append(("data directory", root))
        case .explicit(let wal, _, _): if let wal { paths.append(("WAL directory", wal)) }
        }
        for (what, path) in paths where fileSystem.fileExists(path) && !fileSystem.isDirectory(path) {
            throw GraphDatabaseError(.invalidConfiguration, "the \(what) exists but is not a directory", path: path)
        }
    }
}

/// Logs replay progress at most every two seconds: bytes scanned of the
/// total and events per second.
final class ReplayProgressLog: Sendable {
    private struct State {
        var scanned: UInt64 = 0
        var total: UInt64 = 0
        var events = 0
        var lastLog = ContinuousClock.now
    }

    private let logger: Logger
    private let started = ContinuousClock.now
    private let state = Mutex(State())

    init(logger: Logger) { self.logger = logger }

    func scanned(_ bytes: UInt64, of total: UInt64) {
        state.withLock { state in
            state.scanned = bytes
            state.total = total
        }
    }

    func transaction(events: Int) {
        let line: (UInt64, UInt64, Int)? = state.withLock { state in
            state.events += events
            let now = ContinuousClock.now
            guard now - state.lastLog >= .seconds(2) else { return nil }
            state.lastLog = now
            return (state.scanned, state.total, state.events)
        }
        guard let (scanned, total, events) = line else { return }
        let seconds = Double((ContinuousClock.now - started).components.seconds) + 1e-9
        logger.info(
            "replaying the log",
            metadata: [
                "bytes": "\(scanned) of \(total)", "events": "\(events)",
                "eventsPerSecond": "\(Int(Double(events) / max(seconds, 1)))",
            ])
    }
}
