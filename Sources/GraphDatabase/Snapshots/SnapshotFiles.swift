import GraphStore
import WriteAheadLog

/// Reads and atomically replaces snapshot files.
///
/// A snapshot is written to a temp file beside its target, fsynced, renamed
/// over the target and the directory fsynced: a crash leaves either the
/// old file or the new one, never a mix, and a failed write leaves the old
/// one untouched.
struct SnapshotFiles: Sendable {
    let fileSystem: any FileSystem

    /// Writes `store` as a snapshot stamped `walLSN` to `path`, atomically.
    /// `logPosition` is where record `walLSN` starts in the log, if known.
    func write(_ store: GraphStore, walLSN: LSN, logPosition: LogPosition? = nil, to path: String) throws {
        let temporary = try writeTemporary(store, walLSN: walLSN, logPosition: logPosition, for: path)
        try rename(temporary, over: path)
        try syncParent(of: path)
    }

    /// The first step of ``write(_:walLSN:to:)``: streams the snapshot of
    /// `store` to the temp file beside `path` a piece at a time (so the
    /// extra memory is one piece, not the graph again), fsyncs it, and
    /// returns that file's path. On failure the temp file is removed and
    /// `path` is untouched.
    func writeTemporary(_ store: GraphStore, walLSN: LSN, logPosition: LogPosition? = nil, for path: String) throws -> String {
        try writeTemporary(for: path) { file in
            var behind = WriteBehind(file: file)
            try store.writeSnapshot(walLSN: walLSN, logPosition: logPosition) { piece, offset in
                try piece.withUnsafeBytes { try file.write($0, at: offset) }
                behind.wrote(upTo: offset + UInt64(piece.count))
            }
        }
    }

    /// The size of the file at `path`; 0 when it cannot be read (the size
    /// only paces managed checkpoints, which then fall back to their
    /// fixed thresholds).
    func size(of path: String) -> UInt64 {
        (try? fileSystem.openFile(path, mode: .readOnly).size()) ?? 0
    }

    /// Writes `bytes` as they are (tests write damaged snapshots this way).
    func write(_ bytes: [UInt8], to path: String) throws {
        let temporary = try writeTemporary(for: path) { file in
            try bytes.withUnsafeBytes { try file.write($0, at: 0) }
        }
        try rename(temporary, over: path)
        try syncParent(of: path)
    }

    private func writeTemporary(for path: String, _ fill: (any StorageFile) throws -> Void) throws -> String {
        let directory = parentPath(path) ?? "/"
        let temporary = path + SnapshotCatalog.temporarySuffix
        do {
            try fileSystem.createDirectoryDurably(directory)
            if fileSystem.fileExists(temporary) { try fileSystem.removeFile(temporary) }
            let file = try fileSystem.openFile(temporary, mode: .createNew)
            do {
                try fill(file)
                try file.sync()
            } catch {
                try? fileSystem.removeFile(temporary)
                throw error
            }
            return temporary
        } catch {
            throw GraphDatabaseError(.snapshot, "cannot write the snapshot: \(error)", path: path)
        }
    }

    /// The second step: renames the written temp file over `path`. When it
    /// fails, `path` is untouched and the temp file is removed.
    func rename(_ temporary: String, over path: String) throws {
        do {
            try fileSystem.rename(temporary, to: path)
        } catch {
            try? fileSystem.removeFile(temporary)
            throw GraphDatabaseError(.snapshot, "cannot write the snapshot: \(error)", path: path)
        }
    }

    /// The last step: fsyncs the directory, which makes the rename durable.
    /// When it fails the new file is in place but a crash may still bring
    /// back what was there before.
    func syncParent(of path: String) throws {
        do {
            try fileSystem.syncDirectory(parentPath(path) ?? "/")
        } catch {
            throw GraphDatabaseError(
                .snapshot, "cannot write the snapshot: the file is in place but its directory fsync failed: \(error)", path: path)
        }
    }

    /// Makes a snapshot recovery is about to start from durable: its bytes
    /// and the directory entry that names it. A process killed after the
    /// rename of a checkpoint or a load and before the directory fsync
    /// leaves that name in the page cache only; recovering from it and then
    /// reporting commits durable on top of it would let a power loss bring
    /// back an older graph. Cheap when both are already durable.
    func makeDurable(_ path: String) throws {
        do {
            let file = try fileSystem.openFile(path, mode: .readOnly)
            try file.sync()
            try fileSystem.syncDirectory(parentPath(path) ?? "/")
        } catch {
            throw GraphDatabaseError(.snapshot, "cannot make the snapshot recovery starts from durable: \(error)", path: path)
        }
    }

    func read(_ path: String) throws -> [UInt8] {
        do {
            let file = try fileSystem.openFile(path, mode: .readOnly)
            let size = try file.size()
            guard size <= UInt64(Int.max) else {
                throw GraphDatabaseError(.snapshot, "snapshot of \(size) bytes is too large to read", path: path)
            }
            // Read straight into the array's storage, which is not zeroed
            // first: a snapshot of a large graph is hundreds of MiB.
            return try [UInt8](unsafeUninitializedCapacity: Int(size)) { buffer, initialized in
                initialized = try file.read(into: UnsafeMutableRawBufferPointer(buffer), at: 0)
            }
        } catch let error as GraphDatabaseError {
            throw error
        } catch {
            throw GraphDatabaseError(.snapshot, "cannot read the snapshot: \(error)", path: path)
        }
    }

    /// Reads and checks only the header of a snapshot.
    func readHeader(_ path: String) throws -> SnapshotHeader {
        do {
            let file = try fileSystem.openFile(path, mode: .readOnly)
            var bytes = [UInt8](repeating: 0, count: SnapshotHeader.size)
            let count = try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }
            return try SnapshotHeader(parsing: Array(bytes.prefix(count)))
        } catch {
            throw GraphDatabaseError(.snapshot, "cannot read the snapshot header: \(error)", path: path)
        }
    }

    /// Reads and decodes a snapshot, checking its checksums: mapped where
    /// the file system maps files (no copy of the file is held while it is
    /// decoded), read into memory elsewhere.
    func load(_ path: String) throws -> LoadedSnapshot {
        let mapped: MappedFile?
        do {
            mapped = try fileSystem.mapForReading(path)
        } catch {
            throw GraphDatabaseError(.snapshot, "cannot read the snapshot: \(error)", path: path)
        }
        let bytes = mapped == nil ? try read(path) : []
        do throws(GraphStoreError) {
            guard let mapped else { return try GraphStore.loadSnapshot(bytes) }
            defer { withExtendedLifetime(mapped) {} }
            return try GraphStore.loadSnapshot(contentsOf: mapped.bytes)
        } catch {
            throw GraphDatabaseError(.snapshot, "the snapshot is not usable: \(error)", path: path, graphError: error)
        }
    }
}
