import Foundation
import GraphDatabase
import GraphStore
import Logging
import Synchronization
import WALArchive
import WriteAheadLog

/// A read replica (`--replica-of URL`): an in-memory graph that follows
/// another server's archive, and its promotion to primary.
///
/// While following, the replica keeps nothing on disk: it restores the
/// newest archived snapshot, then applies every transaction the archive's
/// head acknowledges, in LSN order, without logging them; reads are
/// served from that graph, writes refused. A restart starts again from the
/// archive. Promotion (``promote(slot:keys:)``) takes the archive's lease,
/// which fences the old primary, restores the archive into the data
/// directory, opens the database on it and from then on archives it, so
/// the log goes on at the head's next LSN with no LSN lost or reused.
///
/// Rounds and the promotion run on this actor, one at a time.
public actor ServerReplica {
    public nonisolated let settings: ArchiveSettings
    /// The server's configuration: the data directory the promotion restores into.
    nonisolated let configuration: ServerConfiguration
    nonisolated let follower: ArchiveFollower<MutationEvent>
    /// The graph followed, served until the promotion.
    nonisolated let database: GraphDatabase
    nonisolated let logger: Logger
    /// Stands in for "last caught up" and "last succeeded" until a round does.
    nonisolated let startedAt = ContinuousClock.now
    private nonisolated let published = Mutex(ReplicaStatus())
    /// Whether the follower has a starting point (reset when it must start again).
    private var started = false
    /// The archive the promoted server writes; nil until the promotion.
    private var promoted: ServerArchive?
    /// What identifies the failure logged last; nil while rounds succeed.
    private var loggedFailure: String?

    /// What the replica has done; never waits for a round in progress.
    public nonisolated var status: ReplicaStatus { published.withLock { $0 } }

    /// The replica `configuration` asks for, with an empty in-memory graph.
    ///
    /// Touches no archive (the first round does), but refuses a data
    /// directory that already holds a log or a snapshot: the promotion
    /// restores into it, and a replica never takes the place of data.
    /// - Throws: a message naming `--replica-of` when the URL names a store
    ///   this build cannot make, or the data directory is not empty.
    public static func make(for configuration: ServerConfiguration, logger: Logger) throws(GraphServerError) -> ServerReplica? {
        guard let settings = configuration.archive, settings.isReplica else { return nil }
        let flag = "\(ServerSetting.replicaOf.flag) \(settings.location.url)"
        let databaseConfiguration = configuration.databaseConfiguration(logger: logger)
        guard let directory = databaseConfiguration.walDirectory else {
            throw GraphServerError(.invalidConfiguration, "\(flag): a replica needs --data-dir or --wal-dir, where its promotion puts the log")
        }
        try requireEmpty(directory, databaseConfiguration, flag: flag)
        let store: any ArchiveStore
        do {
            store = try settings.location.makeStore(environment: ProcessInfo.processInfo.environment, keyFile: settings.keyFile)
        } catch {
            throw GraphServerError(.invalidConfiguration, "\(flag): \(error)")
        }
        let database: GraphDatabase
        do {
            database = try GraphDatabase.open(GraphDatabaseConfiguration(logger: logger)).database
        } catch {
            throw GraphServerError(.internal, "\(flag): cannot make the in-memory graph: \(error)")
        }
        return ServerReplica(
            settings: settings, configuration: configuration,
            follower: ArchiveFollower(store: store, prefix: settings.location.prefix), database: database, logger: logger)
    }

    init(settings: ArchiveSettings, configuration: ServerConfiguration, follower: ArchiveFollower<MutationEvent>, database: GraphDatabase, logger: Logger) {
        self.settings = settings
        self.configuration = configuration
        self.follower = follower
        self.database = database
        self.logger = logger
    }

    /// Refuses a log directory with segments, or snapshots where the database keeps them.
    private static func requireEmpty(_ directory: String, _ configuration: GraphDatabaseConfiguration, flag: String) throws(GraphServerError) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let segments = names.filter { SegmentID(fileName: $0) != nil }
        let snapshots = (try? GraphDatabase.snapshotFiles(configuration)) ?? []
        guard segments.isEmpty && snapshots.isEmpty else {
            let what = segments.isEmpty ? "snapshots (\(snapshots[0].path))" : "a log (\(directory)/\(segments.sorted()[0]))"
            throw GraphServerError(
                .invalidConfiguration,
                "\(flag): the data directory already holds \(what); a replica starts empty and its promotion restores the archive there. Start this directory as a primary (--archive), or give the replica an empty one")
        }
    }

    // MARK: Rounds

    /// One round: while following, restores a starting point if needed and
    /// applies what the archive acknowledged since; once promoted, one
    /// archive round. Returns whether it succeeded.
    @discardableResult
    func round() async -> Bool {
        if let promoted { return await promoted.round() }
        let failure: (any Error)?
        do {
            try await follow()
            failure = nil
        } catch {
            failure = error
        }
        // What was applied before a failure is in the graph: report it either way.
        let (applied, archived) = (await follower.appliedLSN, await follower.archiveLSN)
        publish { status in
            status.appliedLSN = max(status.appliedLSN, applied.rawValue)
            status.archiveLSN = max(status.archiveLSN, archived.rawValue)
            if let failure {
                status.errors += 1
                status.lastError = "\(failure)"
            } else {
                status.lastError = nil
                status.lastSuccessAt = .now
                if status.appliedLSN >= status.archiveLSN && status.waitingFor == nil { status.caughtUpAt = .now }
            }
        }
        logOnce(failure)
        return failure == nil
    }

    /// Logs a failure the first time it differs from the one logged before
    /// (not at every poll while the same fault persists), and the recovery.
    private func logOnce(_ failure: (any Error)?) {
        guard let failure else {
            if loggedFailure != nil {
                logger.notice("replica rounds succeed again", metadata: ["archive": "\(settings.location.url)", "appliedLSN": "\(status.appliedLSN)"])
                loggedFailure = nil
            }
            return
        }
        let signature = ServerArchive.signature(of: failure)
        guard signature != loggedFailure else { return }
        loggedFailure = signature
        logger.error(
            "replica round failed; reads are served from the graph as last applied",
            metadata: ["archive": "\(settings.location.url)", "appliedLSN": "\(status.appliedLSN)", "error": "\(failure)"])
    }

    /// The round at shutdown: a promoted server ships what is left.
    func finalRound() async {
        await promoted?.finalRound()
    }

    private func follow() async throws {
        if !started {
            let snapshot = try await follower.start()
            let store = try snapshot.map { try GraphStore.decodeSnapshot($0.body).store } ?? GraphStore()
            try database.replaceReplicated(with: store, lsn: snapshot?.lsn ?? .none)
            started = true
            let holder = await follower.leaseHolder
            publish { status in
                status.role = .following
                status.snapshotLSN = snapshot?.lsn.rawValue ?? 0
                status.appliedLSN = snapshot?.lsn.rawValue ?? 0
                status.leaseHolder = holder
            }
            logger.info(
                "replica following the archive",
                metadata: [
                    "archive": "\(settings.location.url)", "snapshotLSN": "\(snapshot?.lsn ?? .none)",
                    "nodes": "\(store.nodeCount)", "primary": "\(holder ?? "unknown")",
                ])
        }
        let database = database
        let follower = follower
        let round: FollowRound
        do {
            round = try await follower.poll { transaction in
                try await Self.apply(transaction, to: database, follower: follower)
            }
        } catch let error as ArchiveError where error.code == .fellBehind {
            // Retention deleted what the next transactions are in: start again from the newest snapshot.
            started = false
            throw error
        }
        let holder = await follower.leaseHolder
        publish { status in
            status.transactionsApplied += round.applied
            status.leaseHolder = holder
            status.waitingFor =
                round.isWaiting ? "the archived snapshot that the snapshot load after LSN \(round.appliedLSN) names" : nil
        }
    }

    /// Applies one followed transaction; declines (false) a snapshot load
    /// whose snapshot is not archived yet.
    private static func apply(
        _ transaction: FollowedTransaction<MutationEvent>, to database: GraphDatabase, follower: ArchiveFollower<MutationEvent>
    ) async throws -> Bool {
        guard let base = GraphDatabase.loadedSnapshotLSN(of: transaction.events) else {
            try database.applyReplicated(transaction.events, commitLSN: transaction.commitLSN)
            return true
        }
        // The primary replaced its graph with a snapshot: take it from the archive.
        guard let snapshot = try await follower.snapshot(at: base) else { return false }
        try database.replaceReplicated(with: try GraphStore.decodeSnapshot(snapshot.body).store, lsn: transaction.commitLSN)
        return true
    }

    @discardableResult
    private nonisolated func publish<R>(_ body: (inout ReplicaStatus) -> R) -> R {
        published.withLock { body(&$0) }
    }

    /// The replica's lag and failures, measured like the archive's.
    nonisolated func health(now: ContinuousClock.Instant = .now) -> ArchiveHealth {
        ArchiveHealth(status: status.asArchiverStatus, localLSN: 0, startedAt: startedAt, maxLag: settings.maxLag, now: now)
    }

    // MARK: Promotion

    /// What a promotion did.
    public struct Promotion: Sendable {
        /// The lease epoch the promoted server archives at.
        public var epoch: UInt64
        /// The archive's last LSN when the lease was taken: the log goes on after it.
        public var archivedLSN: UInt64
        /// Who held the lease before.
        public var previousHolder: String?
        /// What the restored database holds.
        public var nodeCount: Int
        public var relationshipCount: Int
    }

    /// Makes this replica the primary: takes the lease at the next epoch
    /// (fencing the old primary, whose next archive round fails), restores
    /// everything the head acknowledges into the data directory, opens the
    /// database on it, puts it in `slot` and archives it from then on.
    ///
    /// A failure before the database opens leaves the replica following;
    /// what the restore wrote stays in the data directory (the error says
    /// where), and the lease stays taken, so the old primary stays fenced.
    func promote(slot: DatabaseSlot, keys: IdempotencyKeys) async throws -> Promotion {
        guard promoted == nil else {
            throw GraphServerError(.conflict, "this server was promoted already: it is the primary")
        }
        let previousHolder = status.leaseHolder
        publish { $0.role = .promoting }
        do {
            var primary = configuration
            primary.archive?.isReplica = false
            primary.archive?.takesOver = true
            guard let archive = try ServerArchive.make(for: primary, logger: logger) else {
                throw GraphServerError(.internal, "the promoted server has no archive to write")
            }
            let head = try await archive.archiver.acquire()
            let databaseConfiguration = primary.databaseConfiguration(logger: logger, archive: archive)
            if head.lastLSN > 0 {
                try await restore(from: archive, upTo: head.lastLSN, into: databaseConfiguration)
            }
            let opened = try await Blocking.run { try GraphDatabase.open(databaseConfiguration) }
            let promotedDatabase = opened.database
            keys.absorb(recovered: promotedDatabase.recoveredAnnotations)
            let replaced = slot.promote(to: promotedDatabase, archive: archive)
            try? replaced.close()
            promoted = archive
            publish { status in
                status.role = .primary
                status.leaseHolder = archive.archiver.holder
            }
            archive.announce()
            let promotion = Promotion(
                epoch: head.epoch ?? 0, archivedLSN: head.lastLSN, previousHolder: previousHolder,
                nodeCount: promotedDatabase.read(\.nodeCount), relationshipCount: promotedDatabase.read(\.relationshipCount))
            logger.notice(
                "promoted: this server is the primary now",
                metadata: [
                    "archive": "\(settings.location.url)", "epoch": "\(promotion.epoch)", "archivedLSN": "\(head.lastLSN)",
                    "previousHolder": "\(previousHolder ?? "none")", "nodes": "\(promotion.nodeCount)",
                ])
            return promotion
        } catch {
            publish { $0.role = .following }
            logger.error("promotion failed; still a replica", metadata: ["error": "\(error)"])
            throw error
        }
    }

    /// Restores the archive up to `lsn` into the data directory: the newest
    /// snapshot at or below it where the database keeps snapshots, and the log.
    private func restore(from archive: ServerArchive, upTo lsn: UInt64, into configuration: GraphDatabaseConfiguration) async throws {
        guard let directory = configuration.walDirectory else {
            throw GraphServerError(.internal, "the promoted server has no log directory")
        }
        let snapshotPath: (@Sendable (LSN) -> String)?
        if configuration.snapshotPath(for: .none) != nil {
            snapshotPath = { lsn in configuration.snapshotPath(for: lsn) ?? "" }
        } else {
            snapshotPath = nil
        }
        do {
            _ = try await ArchiveRestore.restore(
                from: archive.archiver.store, prefix: settings.location.prefix, into: directory, upTo: LSN(lsn), snapshotPath: snapshotPath)
        } catch {
            throw GraphServerError(
                .internal,
                "the lease is taken (the old primary is fenced), but restoring the archive into \(directory) failed: \(error). Empty the data directory and promote again, or start it as the primary once the cause is fixed")
        }
    }
}
