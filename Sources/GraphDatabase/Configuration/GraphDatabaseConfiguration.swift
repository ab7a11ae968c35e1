import Logging
import WriteAheadLog

/// Where a database keeps its data.
public enum StorageLayout: Sendable, Equatable {
    /// Nothing on disk: the graph lives and dies with the process.
    case inMemory
    /// One data directory holding `wal/` and `snapshots/`, created on first
    /// use. Managed checkpoints write numbered snapshots there and keep the
    /// newest few.
    case dataDirectory(String)
    /// The shape of lora-server: a log directory (nil: no log), the file
    /// checkpoints and saves write (nil: none), and a snapshot to restore
    /// from at start (nil: `snapshotPath` if that file exists).
    case explicit(walDirectory: String?, snapshotPath: String?, restoreFrom: String?)
}

/// How a ``GraphDatabase`` is opened and run.
public struct GraphDatabaseConfiguration: Sendable {
    public var storage: StorageLayout
    /// The log's options: sync mode, segment size, recovery mode.
    public var wal: WALOptions
    /// Take a checkpoint after this many commits since the last one (nil: never by count).
    public var checkpointEveryCommits: Int?
    /// Take a checkpoint once the log grew by this many bytes since the last one (nil: never by size).
    public var checkpointEveryBytes: UInt64?
    /// A checkpoint by size also waits until the log since the last one is
    /// this many times the size of the last snapshot (written or loaded);
    /// nil or 0: ``checkpointEveryBytes`` alone.
    ///
    /// With a fixed threshold the checkpoints' share of the work grows
    /// with the graph: each rewrites all of it. With a ratio of 1 a
    /// snapshot is written once the log written since the last one is at
    /// least as large, so checkpoints write at most about as much as the
    /// log does, whatever the graph's size, and recovery replays at most
    /// about a snapshot's worth of log (or ``checkpointEveryBytes``) on
    /// top of loading the snapshot. Lower it to bound recovery more
    /// tightly at the cost of more checkpoint work.
    public var checkpointLogToSnapshotRatio: Double?
    /// How many snapshots a data directory keeps (at least 1).
    public var keepSnapshots: Int
    /// Where warnings and recovery progress go.
    public var logger: Logger
    /// The highest LSN log truncation may reach, asked at every truncation
    /// (checkpoints, ``GraphDatabase/truncateLog(upTo:)``, the cleanup of
    /// ``GraphDatabase/loadSnapshot(from:)``); nil: no cap beyond the snapshots.
    ///
    /// Segments holding any record above the returned LSN are kept. It is
    /// how something that copies the log elsewhere (an archiver) keeps the
    /// segments it has not copied yet: return the last LSN copied, `.none`
    /// before anything is. Called under the checkpoint lock: it must be
    /// quick and must not call back into the database.
    public var logRetention: (@Sendable () -> LSN)?

    public init(
        storage: StorageLayout = .inMemory,
        wal: WALOptions = WALOptions(),
        checkpointEveryCommits: Int? = nil,
        checkpointEveryBytes: UInt64? = 256 << 20,
        checkpointLogToSnapshotRatio: Double? = 1,
        keepSnapshots: Int = 3,
        logger: Logger = Logger(label: "graph-database"),
        logRetention: (@Sendable () -> LSN)? = nil
    ) {
        self.storage = storage
        self.wal = wal
        self.checkpointEveryCommits = checkpointEveryCommits
        self.checkpointEveryBytes = checkpointEveryBytes
        self.checkpointLogToSnapshotRatio = checkpointLogToSnapshotRatio
        self.keepSnapshots = keepSnapshots
        self.logger = logger
        self.logRetention = logRetention
    }

    /// The log directory this layout implies, if any.
    public var walDirectory: String? {
        switch storage {
        case .inMemory: nil
        case .dataDirectory(let root): joinPath(root, "wal")
        case .explicit(let wal, _, _): wal
        }
    }
}

func joinPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}
