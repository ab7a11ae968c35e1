import Dispatch
import GraphStore
import Logging
import WriteAheadLog

/// What a checkpoint did.
public struct CheckpointResult: Sendable, Equatable {
    /// The snapshot written.
    public var path: String
    /// The WAL LSN the snapshot is consistent with.
    public var walLSN: LSN
    public var nodeCount: Int
    public var relationshipCount: Int
    /// Log segments deleted because every kept snapshot covers them.
    public var truncatedSegments: [SegmentID]
    /// The log truncation that followed, with the fence it used and what
    /// lowered it; nil when the checkpoint truncated nothing by design (no
    /// log, or a snapshot written outside the layout's location).
    public var truncation: LogTruncation? = nil
}

extension GraphDatabase {
    /// Takes a checkpoint: syncs the log, reads its durable LSN, writes a
    /// snapshot stamped with it (temp file, fsync, rename, directory fsync),
    /// appends a checkpoint marker, then truncates the log up to the oldest
    /// snapshot still kept (and no further than
    /// ``GraphDatabaseConfiguration/logRetention`` allows).
    ///
    /// Writers wait only while the log is synced and the graph's current
    /// version taken (a reference, O(1)); the snapshot is streamed to its
    /// file from that version a piece at a time while they go on, so the
    /// extra memory is one piece, not a second copy of the graph.
    /// - Parameter path: where to write; nil for the layout's snapshot
    ///   location. A snapshot written elsewhere never lets the log be
    ///   truncated past what recovery can find.
    @discardableResult
    public func checkpoint(to path: String? = nil) throws -> CheckpointResult {
        try checkpointLock.withLock { _ in
            // A consistent cut: no writer runs between the sync and the copy.
            // The copy is the newest logged graph: the sync makes every
            // logged commit durable, so it is what the log holds up to the
            // stamp (and is visible once published).
            writerPermit.wait()
            let store = versions.withLock { $0.logged }
            let walLSN: LSN
            do {
                walLSN = try wal?.sync() ?? .none
            } catch {
                writerPermit.signal()
                throw GraphDatabaseError.wrap(error, "cannot sync the log for a checkpoint")
            }
            // Still no writer: where record walLSN starts, for the next
            // recovery to begin reading the log right after it.
            let logPosition = wal?.position(of: walLSN)
            writerPermit.signal()
            publishDurable()

            let defaultPath = snapshots.defaultPath(for: walLSN)
            guard let target = path ?? defaultPath else {
                throw GraphDatabaseError(
                    .unavailable, "this database has no snapshot location; pass a path or configure a data directory or snapshot path")
            }
            // Streamed from `store`, an immutable version: writers commit
            // newer ones meanwhile, sharing all that they did not change.
            try snapshots.files.write(store, walLSN: walLSN, logPosition: logPosition, to: target)
            let snapshotBytes = snapshots.files.size(of: target)
            sinceCheckpoint.withLock { $0.restart(snapshotBytes: snapshotBytes) }

            var truncation: LogTruncation?
            if let wal, target == defaultPath {
                do {
                    _ = try wal.recordCheckpoint(snapshotLSN: walLSN)
                    var planned = plannedTruncation(requested: walLSN, covered: try snapshots.prune() ?? walLSN)
                    planned.deletedSegments = try wal.truncate(upTo: planned.appliedFence)
                    truncation = planned
                } catch {
                    throw GraphDatabaseError.wrap(error, "the snapshot was written but the log could not be marked or truncated")
                }
            }
            let truncated = truncation?.deletedSegments ?? []
            var metadata: Logger.Metadata = ["path": "\(target)", "walLSN": "\(walLSN)", "truncatedSegments": "\(truncated.count)"]
            if let truncation {
                metadata["truncationFence"] = "\(truncation.appliedFence)"
                if let limit = truncation.limitedBy { metadata["truncationLimitedBy"] = "\(limit.rawValue)" }
            }
            logger.info("checkpoint", metadata: metadata)
            return CheckpointResult(
                path: target, walLSN: walLSN, nodeCount: store.nodeCount, relationshipCount: store.relationshipCount,
                truncatedSegments: truncated, truncation: truncation)
        }
    }

    /// Counts a commit toward the managed checkpoint thresholds and, once
    /// one is crossed, schedules a checkpoint on a background queue: the
    /// committer never waits for it.
    func noteCommit(bytes: UInt64) {
        guard configuration.checkpointEveryCommits != nil || configuration.checkpointEveryBytes != nil,
            // Not `defaultPath`, which builds a path string: this runs on every commit.
            snapshots.hasDefaultLocation
        else { return }
        let due = sinceCheckpoint.withLock { $0.count(commitOf: bytes, configuration) }
        guard due, !checkpointScheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        checkpointQueue.async { [self] in
            defer { checkpointScheduled.store(false, ordering: .releasing) }
            guard !closed.load(ordering: .acquiring) else { return }
            do {
                try checkpoint()
            } catch {
                logger.error("managed checkpoint failed", metadata: ["reason": "\(error)"])
            }
        }
    }
}
