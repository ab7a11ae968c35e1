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
    case checkpointLogRatio = "checkpoint-log-ratio"
    case recoveryMode = "recovery-mode"
    case adminToken = "admin-token"
    case adminTokenFile = "admin-token-file"
    case writeToken = "write-token"
    case writeTokenFile = "write-token-file"
    case readToken = "read-token"
    case readTokenFile = "read-token-file"
    case inMemory = "in-memory"
    case allowOpenAdmin = "allow-open-admin"
    case maxBodyBytes = "max-body-bytes"
    case maxDecodingBytes = "max-decoding-bytes"
    case allowedHost = "allowed-host"
    case corsOrigin = "cors-origin"
    case snapshotDir = "snapshot-dir"
    case maxSnapshotBytes = "max-snapshot-bytes"
    case tlsCert = "tls-cert"
    case tlsKey = "tls-key"
    case headerTimeoutMs = "header-timeout-ms"
    case bodyTimeoutMs = "body-timeout-ms"
    case idleTimeoutMs = "idle-timeout-ms"
    case maxConnections = "max-connections"
    case maxScan = "max-scan"
    case archive
    case archiveInterval = "archive-interval"
    case archiveMaxLag = "archive-max-lag"
    case archiveKeyFile = "archive-key-file"
    case archiveRetain = "archive-retain"
    case archiveRetainFor = "archive-retain-for"
    case archiveHolder = "archive-holder"
    case archiveTakeOver = "archive-take-over"
    case replicaOf = "replica-of"

    /// `--data-dir`.
    public var flag: String { "--" + rawValue }

    /// `GRAPH_SERVER_DATA_DIR`.
    public var environmentVariable: String {
        "GRAPH_SERVER_" + rawValue.uppercased().replacingOccurrences(of: "-", with: "_")
    }
}
