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
    /// snapshot's LSN (the single snapshot file's in the explicit layout;
    /// none without snapshots); the result says which fence was applied.
    /// `checkpoint()` writes a snapshot first and then truncates by itself.
    @discardableResult
    public func truncateLog(upTo fence: LSN? = nil) throws -> LogTruncation {
        let wal = try requireLog()
        do {
            return try checkpointLock.withLock { _ in
                let requested = fence ?? wal.durableLSN
                let applied = min(requested, try snapshots.coveredLSN())
                if applied < requested {
                    logger.notice(
                        "log truncation lowered to what the snapshots cover",
                        metadata: ["requestedFence": "\(requested)", "appliedFence": "\(applied)"])
                }
                let deleted = try wal.truncate(upTo: applied)
                return LogTruncation(requestedFence: requested, appliedFence: applied, deletedSegments: deleted)
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

    /// Replaces the graph with the snapshot at `path` (default: the
    /// layout's restore source or newest snapshot).
    ///
    /// With a log, the loaded graph becomes the new base: it is written as
    /// a checkpoint stamped with the current durable LSN, so a restart
    /// recovers it plus what is committed afterwards, never the older
    /// history the log still holds. Older managed snapshots are deleted for
    /// the same reason: they lead to the replaced graph.
    @discardableResult
    public func loadSnapshot(from path: String? = nil) throws -> (nodeCount: Int, relationshipCount: Int) {
        let fallback = try snapshots.candidates().first?.path
        guard let source = path ?? fallback else {
            throw GraphDatabaseError(.unavailable, "no snapshot to load: pass a path")
        }
        let loaded = try snapshots.files.load(source)
        if wal != nil && snapshots.defaultPath(for: .none) == nil {
            throw GraphDatabaseError(
                .unavailable,
                "loading a snapshot into a logged database needs a snapshot location to make it the new base; configure a data directory or snapshot path",
                path: source)
        }
        try checkpointLock.withLock { _ in
            writerPermit.wait()
            defer { writerPermit.signal() }
            var walLSN = LSN.none
            do {
                walLSN = try wal?.sync() ?? .none
                if wal != nil, let target = snapshots.defaultPath(for: walLSN) {
                    try snapshots.files.write(loaded.store.snapshotBytes(walLSN: walLSN), to: target)
                    _ = try wal?.checkpointMarker(snapshotLSN: walLSN)
                    try snapshots.removeAll(except: target)
                    _ = try wal?.truncate(upTo: walLSN)
                }
            } catch {
                throw GraphDatabaseError.wrap(error, "cannot make the loaded snapshot the new base")
            }
            versions.withLock { $0.replaceAll(with: loaded.store, lsn: walLSN) }
        }
        return (loaded.store.nodeCount, loaded.store.relationshipCount)
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
    /// The fence used: the requested one, lowered to what the snapshots cover.
    public var appliedFence: LSN
    /// The log segments deleted, oldest first.
    public var deletedSegments: [SegmentID]
}
