import GraphStore
import WriteAheadLog

extension GraphDatabase {
    /// Deletes log segments whose records are all at or below `fence`
    /// (default: the durable LSN), under the log's rules, but never past
    /// what the snapshots a restart can use cover.
    ///
    /// Without a snapshot holding them, the deleted transactions would be
    /// gone, and the next open would refuse the log rather than rebuild a
    /// graph with a hole in it. So the fence is lowered to the oldest kept
    /// snapshot's LSN (in the explicit layout, that of the file every start
    /// begins at: the restore source if one is configured, else the single
    /// snapshot file; none without snapshots), and to what
    /// ``GraphDatabaseConfiguration/logRetention`` returns; the result says
    /// which fence was applied and what lowered it.
    /// `checkpoint()` writes a snapshot first and then truncates by itself.
    @discardableResult
    public func truncateLog(upTo fence: LSN? = nil) throws -> LogTruncation {
        let wal = try requireLog()
        do {
            return try checkpointLock.withLock { _ in
                var truncation = plannedTruncation(requested: fence ?? wal.durableLSN, covered: try snapshots.coveredLSN())
                if let limit = truncation.limitedBy {
                    logger.notice(
                        "log truncation lowered",
                        metadata: [
                            "requestedFence": "\(truncation.requestedFence)", "appliedFence": "\(truncation.appliedFence)",
                            "limitedBy": "\(limit.rawValue)",
                        ])
                }
                truncation.deletedSegments = try wal.truncate(upTo: truncation.appliedFence)
                return truncation
            }
        } catch {
            throw GraphDatabaseError.wrap(error, "cannot truncate the log")
        }
    }

    /// Writes and fsyncs the log; returns the durable LSN.
    @discardableResult
    public func sync() throws -> LSN {
        let wal = try requireLog()
        do {
            return try wal.sync()
        } catch {
            throw GraphDatabaseError.wrap(error, "cannot sync the log")
        }
    }

    /// Writes the committed graph to `path` (default: the snapshot
    /// location), stamped with the log's durable LSN. Same as a checkpoint.
    @discardableResult
    public func saveSnapshot(to path: String? = nil) throws -> CheckpointResult {
        try checkpoint(to: path)
    }

    /// Replaces the graph with the snapshot at `path`, or, without a path,
    /// with the newest snapshot (the layout's restore source in the explicit
    /// layout) when that loses nothing.
    ///
    /// **Without a path** the load is refused (`wouldDiscardCommits`, naming
    /// the snapshot and the LSNs that would be lost) when any transaction
    /// was committed after the LSN the snapshot is stamped with: going back
    /// to it would silently drop them. Pass the snapshot's path to replace
    /// the graph anyway; an explicit path always replaces it.
    ///
    /// **With a log**, the loaded graph becomes the new base: it is written
    /// as a snapshot stamped with the log's durable LSN, so a restart
    /// recovers it plus what is committed afterwards, never the older
    /// history the log still holds. The steps run so that a failure or a
    /// crash at any point leaves either the old graph or the new one, in
    /// memory and in what a restart recovers:
    ///
    /// 1. sync the log (a failure changes nothing);
    /// 2. write the new base (temp file, fsync, rename, directory fsync),
    ///    under a name no other snapshot has; until its directory fsync
    ///    succeeds a restart recovers the old graph, and when that fsync
    ///    fails the new file is taken away again;
    /// 3. swap memory: from here on the load has happened;
    /// 4. clean up: log an annotation naming the new base (recovery from a
    ///    snapshot older than it refuses), append a checkpoint marker, delete the older managed
    ///    snapshots (they lead to the replaced graph, and must not outlive
    ///    the new base as fallbacks), truncate the log up to the new base
    ///    (no further than the log retention allows). A
    ///    failure here is logged, not thrown: the new base is already
    ///    durable and newest, so a restart recovers the loaded graph anyway.
    @discardableResult
    public func loadSnapshot(from path: String? = nil) throws -> (nodeCount: Int, relationshipCount: Int) {
        guard let source = try path ?? snapshots.candidates().first(where: \.headerIsValid)?.path else {
            throw GraphDatabaseError(.unavailable, "no snapshot to load: pass a path")
        }
        let loaded = try snapshots.files.load(source)
        if wal != nil && snapshots.defaultPath(for: .none) == nil {
            throw GraphDatabaseError(
                .unavailable,
                "loading a snapshot into a logged database needs a snapshot location to make it the new base; configure a data directory or snapshot path",
                path: source)
        }
        // Every start of this layout begins at the restore source and replays
        // the log above it: after a load that would rebuild the old graph's
        // history with the new commits on top, not the loaded graph.
        if wal != nil, case .single(let snapshotPath, let restoreFrom?) = snapshots.kind, restoreFrom != snapshotPath {
            throw GraphDatabaseError(
                .unavailable,
                "this database restarts from its restore source (\(restoreFrom)), so a loaded snapshot would not survive a restart; start it without a restore source (checkpoints go to \(snapshotPath)) to load snapshots",
                path: source)
        }
        try checkpointLock.withLock { _ in
            writerPermit.wait()
            defer { writerPermit.signal() }
            // Under the writer lock: no commit slips in between check and swap.
            if path == nil { try refuseDiscardingCommits(since: loaded, source: source) }
            guard let wal else {
                drop(versions.withLock { $0.replaceAll(with: loaded.store, lsn: .none) })
                return
            }
            let base = try writeBase(loaded.store, wal: wal)
            drop(versions.withLock { $0.replaceAll(with: loaded.store, lsn: base.walLSN) })
            let baseBytes = snapshots.files.size(of: base.path)
            sinceCheckpoint.withLock { $0.restart(snapshotBytes: baseBytes) }
            do {
                // The log says the graph was replaced here, so a recovery
                // that starts from an older snapshot (the base lost, or an
                // archive restored without it) refuses instead of replaying
                // the log into a graph that never existed.
                _ = try wal.commit([.annotation(name: Self.snapshotLoadAnnotation, text: String(base.walLSN.rawValue))])
                _ = try wal.recordCheckpoint(snapshotLSN: base.walLSN)
                try snapshots.removeAll(except: base.path)
                _ = try wal.truncate(upTo: plannedTruncation(requested: base.walLSN, covered: try snapshots.coveredLSN()).appliedFence)
            } catch {
                logger.warning(
                    "the loaded snapshot is the new base, but cleaning up after it failed; older snapshots or log segments may remain",
                    metadata: ["path": "\(base.path)", "reason": "\(error)"])
            }
        }
        return (loaded.store.nodeCount, loaded.store.relationshipCount)
    }

    /// Refuses a load without a path that would drop commits: those after
    /// the snapshot's stamp, or, without a log, any change since it.
    private func refuseDiscardingCommits(since loaded: LoadedSnapshot, source: String) throws {
        let (current, lastCommit) = versions.withLock { ($0.logged, $0.loggedLSN) }
        let what: String
        if wal != nil {
            guard lastCommit > loaded.walLSN else { return }
            what = "every transaction committed after LSN \(loaded.walLSN), the last at LSN \(lastCommit)"
        } else {
            guard current.dump() != loaded.store.dump() else { return }
            what = "every change made since it was saved"
        }
        throw GraphDatabaseError(
            .wouldDiscardCommits,
            "loading the newest snapshot without a path would discard \(what); pass the snapshot's path to replace the graph with it anyway, or take a checkpoint first",
            path: source)
    }

    /// Writes `store` as the new base, stamped with the log's durable LSN
    /// once everything logged is durable, and makes it durable; undoes it
    /// when that cannot be done. Called with the writer permit held.
    private func writeBase(_ store: GraphStore, wal: WAL<MutationEvent>) throws -> (path: String, walLSN: LSN) {
        do {
            var walLSN = try wal.sync()
            publishDurable()
            // A new name: overwriting a snapshot of the old graph stamped
            // with the same LSN would leave nothing to undo to. A marker
            // (for that snapshot) moves the durable LSN past it.
            if case .managed = snapshots.kind, let existing = snapshots.defaultPath(for: walLSN),
                snapshots.files.fileSystem.fileExists(existing)
            {
                _ = try wal.recordCheckpoint(snapshotLSN: walLSN)
                walLSN = try wal.sync()
            }
            guard let target = snapshots.defaultPath(for: walLSN) else {
                throw GraphDatabaseError(.unavailable, "this database has no snapshot location to write the new base to")
            }
            let temporary = try snapshots.files.writeTemporary(
                store, walLSN: walLSN, logPosition: wal.position(of: walLSN), for: target)
            try snapshots.files.rename(temporary, over: target)
            do {
                try snapshots.files.syncParent(of: target)
            } catch {
                try undoBase(at: target, walLSN: walLSN, error)
                throw error
            }
            return (target, walLSN)
        } catch {
            throw GraphDatabaseError.wrap(error, "cannot make the loaded snapshot the new base; the graph is unchanged")
        }
    }

    /// Takes back a new base whose directory fsync failed, so that neither
    /// a restart nor this process sees the loaded graph: removes it (a new
    /// name), or writes the current graph back over the single snapshot file.
    private func undoBase(at target: String, walLSN: LSN, _ cause: any Error) throws {
        do {
            if case .single = snapshots.kind {
                try snapshots.files.write(versions.withLock { $0.logged }, walLSN: walLSN, to: target)
            } else {
                try snapshots.files.fileSystem.removeFile(target)
                try snapshots.files.syncParent(of: target)
            }
        } catch {
            throw GraphDatabaseError(
                .snapshot,
                "the new base's directory fsync failed (\(cause)) and taking it back failed too (\(error)): the file may hold the loaded graph while memory holds the old one; move it aside before restarting",
                path: target)
        }
    }

    func requireLog() throws -> WAL<MutationEvent> {
        guard let wal else { throw GraphDatabaseError(.unavailable, "this database has no write-ahead log") }
        return wal
    }
}

/// What ``GraphDatabase/truncateLog(upTo:)`` did.
public struct LogTruncation: Sendable, Equatable {
    /// The fence asked for (the durable LSN when none was given).
    public var requestedFence: LSN
    /// The fence used: the requested one, lowered to what the snapshots
    /// cover and to the log retention.
    public var appliedFence: LSN
    /// The log segments deleted, oldest first.
    public var deletedSegments: [SegmentID]
    /// What lowered the fence below the one requested; nil when nothing did.
    public var limitedBy: TruncationLimit? = nil
    /// What ``GraphDatabaseConfiguration/logRetention`` returned for this
    /// truncation; nil without one.
    public var retentionLSN: LSN? = nil
}
