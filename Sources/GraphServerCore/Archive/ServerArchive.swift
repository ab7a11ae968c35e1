import CoreMetrics
import Foundation
import GraphDatabase
import Logging
import Metrics
import Synchronization
import WALArchive
import WriteAheadLog

/// The server's continuous archive (`--archive`): the ``Archiver`` over the
/// database's log directory, with the database's snapshots as its source,
/// and what the server adds around it: the truncation fence, logging each
/// distinct failure once, counters, and the health state.
///
/// Made before the database opens, because the database's
/// ``GraphDatabaseConfiguration/logRetention`` reads ``retainedLSN``.
public final class ServerArchive: Sendable {
    public let settings: ArchiveSettings
    public let archiver: Archiver
    /// The log directory the archiver ships.
    public let directory: String
    /// When the rounds started (``announce()`` or the first ``round()``): stands in for "last caught
    /// up" and "last succeeded" until a round does. Not when the archive was
    /// made, which is before the database's recovery: a long recovery is not
    /// archive lag.
    private let roundsStartedAt = Mutex<ContinuousClock.Instant?>(nil)
    var startedAt: ContinuousClock.Instant { roundsStartedAt.withLock { $0 } ?? .now }
    private let logger: Logger
    private let progress = Mutex(Progress())
    private let objectsShipped = Counter(label: "graph_archive_objects_shipped_total")
    private let bytesShipped = Counter(label: "graph_archive_bytes_shipped_total")
    private let errors = Counter(label: "graph_archive_errors_total")

    /// What the rounds so far reported, for counters and for logging each
    /// distinct failure once.
    private struct Progress {
        var counted = ArchiverStatus()
        /// What identifies the failure logged last; nil while rounds succeed.
        var loggedFailure: String?
        var failedRounds = 0
        /// When retention last ran; nil before the first run.
        var lastRetention: ContinuousClock.Instant?
    }

    /// How often retention runs when no new snapshot made it due sooner
    /// (age limits move with the clock, not with the snapshots).
    static let retentionPeriod = Duration.seconds(600)

    /// Applies `--archive-retain` after a round that shipped a snapshot, and
    /// at least every ``retentionPeriod``; logs what it deleted.
    private func applyRetentionIfDue(after round: ArchiveRound) async throws {
        guard let policy = settings.retention else { return }
        let now = ContinuousClock.now
        let due = progress.withLock { progress in
            !round.shippedSnapshots.isEmpty || progress.lastRetention.map { now - $0 >= Self.retentionPeriod } ?? true
        }
        guard due else { return }
        let report = try await archiver.applyRetention(policy)
        progress.withLock { $0.lastRetention = now }
        if !report.deletedSnapshots.isEmpty || !report.deletedPieces.isEmpty {
            logger.info(
                "archive retention",
                metadata: [
                    "keptSnapshots": "\(report.keptSnapshots)", "deletedSnapshots": "\(report.deletedSnapshots.count)",
                    "deletedPieces": "\(report.deletedPieces.count)", "anchorLSN": "\(report.anchorLSN ?? 0)",
                ])
        }
    }

    /// The archive `configuration` asks for (nil without `--archive`), over
    /// its log directory.
    ///
    /// Touches neither the log nor the archive: an archive that cannot be
    /// reached now is the rounds' business (the server starts, degraded),
    /// not a reason to refuse to start.
    /// - Throws: when the layout has no log, or the URL names a store this
    ///   build cannot make; the message names `--archive`.
    public static func make(for configuration: ServerConfiguration, logger: Logger) throws(GraphServerError) -> ServerArchive? {
        guard let settings = configuration.archive else { return nil }
        let databaseConfiguration = configuration.databaseConfiguration(logger: logger)
        guard let directory = databaseConfiguration.walDirectory else {
            throw GraphServerError(
                .invalidConfiguration,
                "\(ServerSetting.archive.flag) \(settings.location.url): this server keeps no log to archive; use --data-dir or --wal-dir")
        }
        let store: any ArchiveStore
        do {
            store = try settings.location.makeStore(environment: ProcessInfo.processInfo.environment, keyFile: settings.keyFile)
        } catch {
            throw GraphServerError(.invalidConfiguration, "\(ServerSetting.archive.flag) \(settings.location.url): \(error)")
        }
        let options = ArchiverOptions(
            prefix: settings.location.prefix, archiveInterval: settings.interval,
            snapshots: DatabaseSnapshots(configuration: databaseConfiguration), holder: settings.holder,
            takesOver: settings.takesOver)
        return ServerArchive(
            settings: settings, archiver: Archiver(directory: directory, store: store, options: options), directory: directory, logger: logger)
    }

    init(settings: ArchiveSettings, archiver: Archiver, directory: String, logger: Logger) {
        self.settings = settings
        self.archiver = archiver
        self.directory = directory
        self.logger = logger
    }

    /// Says where the log goes, once, as the rounds start.
    func announce() {
        roundsStartedAt.withLock { $0 = $0 ?? .now }
        logger.info(
            "archiving the log",
            metadata: [
                "archive": "\(settings.location.url)", "directory": "\(directory)",
                "interval": "\(SettingReader.describe(settings.interval))", "maxLag": "\(SettingReader.describe(settings.maxLag))",
            ])
    }

    /// The truncation fence: the last LSN the archive holds, `.none` until
    /// a round has read the archive's head. Local segments with records
    /// above it are kept, so nothing is deleted before it is archived.
    public var retainedLSN: LSN { LSN(archiver.status.archivedLSN) }

    /// The archive's state now, measured against the log's last LSN.
    func health(localLSN: LSN) -> ArchiveHealth {
        ArchiveHealth(
            status: archiver.status, localLSN: localLSN.rawValue, startedAt: startedAt, maxLag: settings.maxLag,
            now: .now)
    }

    /// One round: ships what the archive lacks, counts it, and logs a
    /// failure the first time it differs from the one logged before.
    /// Returns whether the round succeeded.
    @discardableResult
    func round() async -> Bool {
        roundsStartedAt.withLock { $0 = $0 ?? .now }
        let failure: (any Error)?
        do {
            let shipped = try await archiver.archiveOnce()
            try await applyRetentionIfDue(after: shipped)
            failure = nil
        } catch {
            failure = error
        }
        let status = archiver.status
        let (recovered, newFailure) = progress.withLock { progress -> (Int?, Bool) in
            objectsShipped.increment(by: max(0, status.objectsShipped - progress.counted.objectsShipped))
            bytesShipped.increment(by: max(0, status.bytesShipped - progress.counted.bytesShipped))
            errors.increment(by: max(0, status.errors - progress.counted.errors))
            progress.counted = status
            guard let failure else {
                defer { (progress.loggedFailure, progress.failedRounds) = (nil, 0) }
                return (progress.loggedFailure == nil ? nil : progress.failedRounds, false)
            }
            progress.failedRounds += 1
            let signature = Self.signature(of: failure)
            defer { progress.loggedFailure = signature }
            return (nil, progress.loggedFailure != signature)
        }
        if let failure, newFailure {
            logger.error(
                "archive round failed; commits go on locally and the log keeps every segment not archived yet",
                metadata: [
                    "archive": "\(settings.location.url)", "archivedLSN": "\(status.archivedLSN)", "error": "\(failure)",
                ])
        } else if let recovered {
            logger.notice(
                "archive rounds succeed again",
                metadata: ["archive": "\(settings.location.url)", "archivedLSN": "\(status.archivedLSN)", "failedRounds": "\(recovered)"])
        }
        return failure == nil
    }

    /// The round at shutdown, after the database closed: ships what the
    /// last requests committed, waiting at most `finalRoundTimeout`.
    func finalRound() async {
        let archivedBefore = archiver.status.archivedLSN
        let outcome = await Deadline.run(within: settings.finalRoundTimeout) { [self] in await round() }
        let archived = archiver.status.archivedLSN
        switch outcome {
        case true?:
            logger.info("final archive round done", metadata: ["archivedLSN": "\(archived)"])
        case false?:
            logger.warning(
                "the final archive round failed; the records after the archived LSN are in the local log only, and the next start ships them",
                metadata: ["archivedLSN": "\(archived)"])
        case nil:
            logger.warning(
                "the final archive round did not finish in time; the records after the archived LSN are in the local log only, and the next start ships them",
                metadata: [
                    "archivedLSN": "\(max(archived, archivedBefore))", "timeout": "\(settings.finalRoundTimeout)",
                ])
        }
    }

    /// What makes two failures the same for logging: the kind of error and
    /// the object and file involved, not the LSNs in the message (which
    /// move with every commit while the same fault persists).
    static func signature(of error: any Error) -> String {
        if let error = error as? ArchiveError {
            return "archive \(error.code.rawValue) \(error.key ?? "") \(error.path ?? "") \(error.errno.map(String.init) ?? "")"
        }
        return "\(type(of: error)) \(error)"
    }
}
