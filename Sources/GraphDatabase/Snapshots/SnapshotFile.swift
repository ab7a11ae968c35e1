import WriteAheadLog

/// A snapshot file of a database and the LSN its checksummed header is
/// stamped with: the graph as of that LSN.
public struct SnapshotFile: Sendable, Equatable {
    public var path: String
    /// From the file's header, never its name: a file renamed or copied in
    /// by hand is listed by what it holds.
    public var walLSN: LSN

    public init(path: String, walLSN: LSN) {
        self.path = path
        self.walLSN = walLSN
    }
}

extension GraphDatabase {
    /// The snapshot files a restart of this database could start from, by
    /// header LSN, oldest first: the managed snapshots of a data
    /// directory, or the snapshot file and the restore source of the
    /// explicit layout. Files whose header does not read are left out.
    ///
    /// For whoever keeps copies of the snapshots (an archiver); a file may
    /// be pruned right after it is listed.
    public func snapshotFiles() throws -> [SnapshotFile] {
        try snapshots.listSnapshots()
    }

    /// ``snapshotFiles()`` for a database with `configuration`, open or
    /// not (read-only: it takes no lock and changes nothing).
    public static func snapshotFiles(_ configuration: GraphDatabaseConfiguration) throws -> [SnapshotFile] {
        try SnapshotCatalog(configuration: configuration).listSnapshots()
    }
}

extension SnapshotCatalog {
    /// Every snapshot file of the layout whose header reads, oldest first.
    func listSnapshots() throws -> [SnapshotFile] {
        switch kind {
        case .none:
            return []
        case .managed(let directory, _):
            return try managedEntries(in: directory).filter(\.headerIsValid).map { SnapshotFile(path: $0.path, walLSN: $0.walLSN) }
        case .single(let path, let restoreFrom):
            let paths = [path] + (restoreFrom.map { $0 == path ? [] : [$0] } ?? [])
            return paths.compactMap { path -> SnapshotFile? in
                guard files.fileSystem.fileExists(path), let header = try? files.readHeader(path) else { return nil }
                return SnapshotFile(path: path, walLSN: header.walLSN)
            }.sorted { ($0.walLSN, $0.path) < ($1.walLSN, $1.path) }
        }
    }
}

extension GraphDatabaseConfiguration {
    /// Where this layout writes the snapshot stamped `walLSN` by default
    /// (`<data-dir>/snapshots/snapshot-<20-digit LSN>.snap`, or the
    /// explicit snapshot path); `nil` in memory. A restore that rebuilds a
    /// data directory puts its snapshot here, so the database finds it.
    public func snapshotPath(for walLSN: LSN) -> String? {
        SnapshotCatalog(configuration: self).defaultPath(for: walLSN)
    }
}
