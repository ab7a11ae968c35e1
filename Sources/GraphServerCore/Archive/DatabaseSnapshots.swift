import GraphDatabase
import WALArchive

/// The snapshots of a graph database, for the archiver to ship: what
/// ``GraphDatabase/snapshotFiles(_:)`` lists, with the LSN from each
/// file's header, in either layout.
///
/// Built from the configuration, not an open database: the archiver exists
/// before the database opens, since the database's truncation fence reads
/// the archiver's progress.
struct DatabaseSnapshots: SnapshotSource {
    let configuration: GraphDatabaseConfiguration

    func snapshots() throws -> [ArchivableSnapshot] {
        try GraphDatabase.snapshotFiles(configuration).map { ArchivableSnapshot(lsn: $0.walLSN.rawValue, path: $0.path) }
    }
}
