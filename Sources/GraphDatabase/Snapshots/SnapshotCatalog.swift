import WriteAheadLog

/// A snapshot file and the WAL LSN it is consistent with.
struct SnapshotEntry: Sendable, Equatable {
    var path: String
    /// The LSN in the snapshot's checksummed header; the one recovery,
    /// pruning and truncation go by. The name's LSN when the header cannot
    /// be read: such a file is still a recovery candidate (in that place),
    /// so that recovery reports it as skipped, but never counts as a
    /// snapshot that covers the log.
    var walLSN: LSN
    /// The LSN the managed file name claims, nil outside a data directory.
    var nameLSN: LSN? = nil
    /// Whether the header could be read and checked.
    var headerIsValid = true

    /// Whether the file name agrees with the header.
    var isMisnamed: Bool { headerIsValid && nameLSN.map { $0 != walLSN } == true }
}

/// Where snapshots are found and written, by layout.
///
/// In a data directory, each checkpoint writes `snapshots/snapshot-<LSN>.snap`
/// (the LSN in twenty digits) and the newest `keep` are kept. The name is
/// only a label: ordering, pruning and the truncation fence go by the LSN in
/// each file's checksummed header, so a snapshot copied in or renamed by
/// hand under a higher name cannot pose as the newest, keep itself forever,
/// or make pruning delete the snapshots the log still depends on. In the
/// explicit layout there is one snapshot file, replaced in place. Recovery
/// tries candidates newest first.
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
    /// What ``SnapshotFiles`` appends to a snapshot's path while writing it.
    static let temporarySuffix = ".tmp"

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

    /// Managed snapshots in ascending order of their header's LSN; among
    /// equal LSNs a correctly named file sorts last (newest), so a misnamed
    /// copy never shadows the real one.
    func managedEntries(in directory: String) throws -> [SnapshotEntry] {
        guard files.fileSystem.isDirectory(directory) else { return [] }
        return try files.fileSystem.listDirectory(directory).compactMap { name -> SnapshotEntry? in
            guard name.hasPrefix(Self.prefix), name.hasSuffix(Self.suffix) else { return nil }
            let digits = name.dropFirst(Self.prefix.count).dropLast(Self.suffix.count)
            guard digits.count == 20, let value = UInt64(digits) else { return nil }
            let path = joinPath(directory, name)
            guard let header = try? files.readHeader(path) else {
                return SnapshotEntry(path: path, walLSN: LSN(value), nameLSN: LSN(value), headerIsValid: false)
            }
            return SnapshotEntry(path: path, walLSN: header.walLSN, nameLSN: LSN(value))
        }.sorted { ($0.walLSN, $0.isMisnamed ? 0 : 1, $0.path) < ($1.walLSN, $1.isMisnamed ? 0 : 1, $1.path) }
    }

    /// Managed snapshots whose name disagrees with their header.
    func misnamedSnapshots() throws -> [SnapshotEntry] {
        guard case .managed(let directory, _) = kind else { return [] }
        return try managedEntries(in: directory).filter(\.isMisnamed)
    }

    /// Removes the temporary files a crash in the middle of a snapshot write
    /// leaves beside the snapshots (`snapshot-<LSN>.snap.tmp`, or the
    /// snapshot path plus `.tmp`), and returns their paths.
    ///
    /// Only names this database writes are touched. Call it while holding
    /// the log's directory lock: another process with the same data open may
    /// be writing one of these files right now.
    func removeStaleTemporaryFiles() throws -> [String] {
        let stale: [String]
        switch kind {
        case .none:
            return []
        case .single(let path, _):
            let temporary = path + Self.temporarySuffix
            stale = files.fileSystem.fileExists(temporary) ? [temporary] : []
        case .managed(let directory, _):
            guard files.fileSystem.isDirectory(directory) else { return [] }
            stale = try files.fileSystem.listDirectory(directory).filter {
                $0.hasPrefix(Self.prefix) && $0.hasSuffix(Self.suffix + Self.temporarySuffix)
            }.sorted().map { joinPath(directory, $0) }
        }
        guard let first = stale.first else { return [] }
        for path in stale { try files.fileSystem.removeFile(path) }
        try files.fileSystem.syncDirectory(parentPath(first) ?? "/")
        return stale
    }

    /// Whether checkpoints have a default location; cheap enough for every commit.
    var hasDefaultLocation: Bool {
        if case .none = kind { return false }
        return true
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
    /// history a restart needs: the oldest kept managed snapshot's LSN; in
    /// the explicit layout, that of the file recovery starts from (read from
    /// its checksummed header), which is the restore source when one is
    /// configured, since every start begins there and replays the log above
    /// it, not the snapshot file checkpoints write; none when there is no
    /// snapshot to recover from.
    func coveredLSN() throws -> LSN {
        switch kind {
        case .none:
            return .none
        case .single(let path, let restoreFrom):
            let start = restoreFrom ?? path
            guard files.fileSystem.fileExists(start) else { return .none }
            return try files.readHeader(start).walLSN
        case .managed(let directory, _):
            return try managedEntries(in: directory).first(where: \.headerIsValid)?.walLSN ?? .none
        }
    }

    /// Deletes managed snapshots beyond the newest `keep` (by header LSN),
    /// and returns the lowest WAL LSN of those kept: the log may be
    /// truncated only up to there, so that every kept snapshot can still be
    /// recovered from. Files whose header cannot be read are neither counted
    /// nor deleted: they cover nothing, and are left for an operator to
    /// examine. In the explicit layout nothing is deleted and the result is
    /// ``coveredLSN()``. Returns nil without a snapshot location.
    func prune() throws -> LSN? {
        switch kind {
        case .none:
            return nil
        case .single:
            return try coveredLSN()
        case .managed(let directory, let keep):
            var entries = try managedEntries(in: directory).filter(\.headerIsValid)
            while entries.count > keep {
                try files.fileSystem.removeFile(entries.removeFirst().path)
            }
            return entries.first?.walLSN
        }
    }
}
