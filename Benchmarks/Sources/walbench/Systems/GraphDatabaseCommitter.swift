import GraphDatabase
import Synchronization
import WriteAheadLog

/// The graph database in a data directory of its own: each transaction
/// creates one ``NodePayload`` node through the blocking `write`.
///
/// The configuration is the library's default but for the sync mode:
/// managed checkpoints stay on (every 256 MiB of log, or once the log since
/// the last one is as large as its snapshot), as they would for a user, the same way SQLite keeps its default WAL auto-checkpoint.
/// Concurrent writers run one transaction at a time under the database's
/// writer lock and share fsyncs after releasing it (group commit).
final class GraphDatabaseCommitter: BlockingCommitter {
    let database: GraphDatabase
    private let node: NodePayload
    /// Which of the payload's label sets the next node carries.
    private let nextLabelSet = Atomic<Int>(0)

    /// `checkpointRatio`: the configuration's
    /// `checkpointLogToSnapshotRatio` when given (0: the fixed 256 MiB
    /// threshold alone); nil keeps the library's default.
    init(directory: String, durability: DurabilityLevel, node: NodePayload, checkpointRatio: Double? = nil) throws {
        let mode: SyncMode = durability == .durable ? .always : .groupSync(interval: .milliseconds(50))
        var configuration = GraphDatabaseConfiguration(storage: .dataDirectory(directory), wal: WALOptions(syncMode: mode))
        if let checkpointRatio { configuration.checkpointLogToSnapshotRatio = checkpointRatio }
        // Checkpoint lines would interleave with the progress on stderr.
        configuration.logger.logLevel = .warning
        database = try GraphDatabase.open(configuration).database
        self.node = node
    }

    func commit(writer: Int) throws {
        var labels = node.labels
        if node.labelSets.count > 1 {
            let turn = nextLabelSet.wrappingAdd(1, ordering: .relaxed).oldValue
            labels = node.labelSets[turn % node.labelSets.count]
        }
        try database.write { transaction in
            try transaction.createNode(labels: labels, properties: node.properties)
        }
    }

    func close() throws {
        try database.close()
    }
}
