/// What the managed checkpoints measure between two checkpoints: the
/// commits and log bytes since the last one, and the size of the snapshot
/// it wrote (or recovery loaded).
///
/// The snapshot's size is what lets the byte threshold grow with the graph
/// (``GraphDatabaseConfiguration/checkpointLogToSnapshotRatio``). A fixed
/// threshold rewrites the whole graph every 256 MiB of log however large
/// it is: at ten million nodes a snapshot is about 1 GiB, so the
/// checkpoints alone wrote four times what the log did and took most of a
/// core, a share that keeps growing with the graph.
struct CheckpointProgress: Sendable {
    var commits = 0
    var logBytes: UInt64 = 0
    /// Bytes of the newest snapshot written or loaded; 0 before any.
    var snapshotBytes: UInt64 = 0

    /// A checkpoint (or a recovery, or a load) just left a snapshot of
    /// `snapshotBytes` bytes: counting starts again from it.
    mutating func restart(snapshotBytes: UInt64) {
        commits = 0
        logBytes = 0
        self.snapshotBytes = snapshotBytes
    }

    /// Counts one commit of `bytes` of log; true once the configuration's
    /// thresholds call for a checkpoint.
    mutating func count(commitOf bytes: UInt64, _ configuration: GraphDatabaseConfiguration) -> Bool {
        commits += 1
        logBytes += bytes
        if let every = configuration.checkpointEveryCommits, commits >= every { return true }
        guard let every = configuration.checkpointEveryBytes else { return false }
        return logBytes >= max(every, Self.scaledThreshold(snapshotBytes, ratio: configuration.checkpointLogToSnapshotRatio))
    }

    /// `ratio` times `snapshotBytes`, saturating; 0 without a ratio.
    static func scaledThreshold(_ snapshotBytes: UInt64, ratio: Double?) -> UInt64 {
        guard let ratio, ratio > 0 else { return 0 }
        let scaled = ratio * Double(snapshotBytes)
        return scaled >= Double(UInt64.max) ? UInt64.max : UInt64(scaled)
    }
}
