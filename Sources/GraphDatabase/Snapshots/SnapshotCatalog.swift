import WriteAheadLog

/// A snapshot file and the WAL LSN its name says it is consistent with.
struct SnapshotEntry: Sendable, Equatable {
    var path: String
    var walLSN: LSN
}

/// Where snapshots are found and written, by layout.
///
/// In a data directory, each checkpoint writes `snapshots/snapshot-<LSN>.snap`
/// (the LSN in twenty digits, so names sort by LSN) and the newest `keep`
/// are kept. In the explicit layout there is one snapshot file, replaced in
/// place. Recovery tries candidates newest first.
struct SnapshotCatalog: Sendable {
    enum Kind: Sendable, Equatable {
        case none
        case managed(directory: String, keep: Int)
        case single(path: String, restoreFrom: String?)
    }

    let kind: Kind
    let files: SnapshotFiles

    static let prefix = "snapshot-"
    static let suffix = ".snap"

    init(configuration: GraphDatabaseConfiguration) {
        files = SnapshotFiles(fileSystem: configuration.wal.fileSystem)
        switch configuration.storage {
        case .inMemory:
            kind = .none
        case .dataDirectory(let root):
            kind = .managed(directory: joinPath(root, "snapshots"), keep: max(1, configuration.keepSnapshots))
        case .explicit(_, let snapshotPath, let restoreFrom):
            if let snapshotPath { kind = .single(path: snapshotPath, restoreFrom: restoreFrom) } else if let restoreFrom {
                kind = .single(path: restoreFrom, restoreFrom: restoreFrom)
            } else {
                kind = .none
            }
        }
    }

    /// The snapshots recovery may start from, newest first.
    func candidates() throws -> [SnapshotEntry] {
        switch kind {
        case .none:
            return []
        case .single(let path, let restoreFrom):
            let source = restoreFrom ?? path
            return files.fileSystem.fileExists(source) ? [SnapshotEntry(path: source, walLSN: .none)] : []
        case .managed(let directory, _):
            return try managedEntries(in: directory).reversed()
        }
    }

    /// Managed snapshots in ascending LSN order.
    func managedEntries(in directory: String) throws -> [SnapshotEntry] {
        guard files.fileSystem.isDirectory(directory) else { return [] }
        return try files.fileSystem.listDirectory(directory).compactMap { name -> SnapshotEntry? in
            guard name.hasPrefix(Self.prefix), name.hasSuffix(Self.suffix) else { return nil }
            let digits = name.dropFirst(Self.prefix.count).dropLast(Self.suffix.count)
            guard digits.count == 20, let value = UInt64(digits) else { return nil }
            return SnapshotEntry(path: joinPath(directory, name), walLSN: LSN(value))
        }.sorted { $0.walLSN < $1.walLSN }
    }

    /// Where the checkpoint stamped `walLSN` goes by default.
    func defaultPath(for walLSN: LSN) -> String? {
        switch kind {
        case .none: return nil
        case .single(let path, _): return path
        case .managed(let directory, _):
            let digits = String(walLSN.rawValue)
            return joinPath(directory, Self.prefix + String(repeating: "0", count: 20 - digits.count) + digits + Self.suffix)
        }
    }

    /// Deletes every managed snapshot but the one at `path`: used when a
    /// loaded snapshot replaces the graph, since older snapshots describe a
    /// history that no longer leads to it.
    func removeAll(except path: String) throws {
        guard case .managed(let directory, _) = kind else { return }
        for entry in try managedEntries(in: directory) where entry.path != path {
            try files.fileSystem.removeFile(entry.path)
        }
    }

    /// The highest LSN the log may be truncated up to without losing
    /// history a restart needs: the oldest kept managed snapshot's LSN, or
    /// the single snapshot file's (read from its checksummed header), or
    /// none when there is no snapshot to recover from.
    func coveredLSN() throws -> LSN {
        switch kind {
        case .none:
            return .none
        case .single(let path, _):
            guard files.fileSystem.fileExists(path) else { return .none }
            return try files.readHeader(path).walLSN
        case .managed(let directory, _):
            return try managedEntries(in: directory).first?.walLSN ?? .none
        }
    }

    /// Deletes managed snapshots beyond the newest `keep`, and returns the
    /// lowest WAL LSN of those kept: the log may be truncated only up to
    /// there, so that every kept snapshot can still be recovered from.
    /// Returns nil for the other layouts.
    func prune() throws -> LSN? {
        switch kind {
        case .none, .single:
            return nil
        case .managed(let directory, let keep):
            var entries = try managedEntries(in: directory)
            while entries.count > keep {
                try files.fileSystem.removeFile(entries.removeFirst().path)
            }
            return entries.first?.walLSN
        }
    }
}
