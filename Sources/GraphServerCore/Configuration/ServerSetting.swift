/// Every setting of the server: its flag and the environment variable
/// that supplies it when the flag is absent (the flag wins).
public enum ServerSetting: String, CaseIterable, Sendable {
    case host
    case port
    case dataDir = "data-dir"
    case walDir = "wal-dir"
    case snapshotPath = "snapshot-path"
    case restoreFrom = "restore-from"
    case walSyncMode = "wal-sync-mode"
    case groupSyncIntervalMs = "group-sync-interval-ms"
    case segmentTargetBytes = "segment-target-bytes"
    case checkpointEveryCommits = "checkpoint-every-commits"
    case checkpointEveryBytes = "checkpoint-every-bytes"
    case recoveryMode = "recovery-mode"
    case adminToken = "admin-token"
    case inMemory = "in-memory"
    case allowOpenAdmin = "allow-open-admin"
    case maxBodyBytes = "max-body-bytes"

    /// `--data-dir`.
    public var flag: String { "--" + rawValue }

    /// `GRAPH_SERVER_DATA_DIR`.
    public var environmentVariable: String {
        "GRAPH_SERVER_" + rawValue.uppercased().replacingOccurrences(of: "-", with: "_")
    }
}
