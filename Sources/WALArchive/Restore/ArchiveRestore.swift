#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import WriteAheadLog

/// What a restore wrote.
public struct RestoreReport: Sendable, Equatable {
    /// The last record of the restored log: the end of the last transaction
    /// committed (or aborted) at or before the target.
    public var restoredLSN: LSN
    /// The segment files written, in id order.
    public var segments: [SegmentID]
    /// Pieces read from the archive.
    public var pieces: Int
    /// The LSN of the snapshot the restore started from, if it used one.
    public var snapshotLSN: LSN?
    /// Where that snapshot was written.
    public var snapshotPath: String?
}

/// What a verification checked.
public struct VerifyReport: Sendable, Equatable {
    public var pieces: Int
    public var records: Int
    public var bytes: Int
    public var firstLSN: LSN
    public var lastLSN: LSN
    /// The LSNs of the archived snapshots, checked, in ascending order.
    public var snapshots: [LSN] = []
    /// Pieces beside the chain that a writer fenced since left behind (a
    /// lower lease epoch than the piece the chain goes on with); harmless,
    /// and safe to delete.
    public var strayPieces: [String] = []
    /// Pieces of this archive beyond the head: stored by a round that died
    /// before its head update (a crash of the writer), harmless, and removed
    /// by the writer's next round.
    public var unacknowledgedPieces: [String] = []
}

/// Restore and verification of an archive.
public enum ArchiveRestore {
    /// Rebuilds a log directory from the archive, up to exactly the last
    /// transaction that ended at or before `target` (everything the head
    /// acknowledges when `nil`), checking the chain of every piece it reads.
    ///
    /// With `snapshotPath`, the restore starts from the newest archived
    /// snapshot at or below the target: it writes that snapshot's bytes to
    /// `snapshotPath(lsn)` and the log only from the piece that holds the
    /// snapshot's next LSN, so the caller opens the log with the snapshot's
    /// LSN as its fence (a graph database's data directory). Without it, or
    /// when the archive holds no such snapshot, the whole archived log is
    /// written; with it, that log must then start at LSN 1.
    ///
    /// The directory must not exist or hold no segments, and the snapshot
    /// file must not exist. Segments keep their ids and base LSNs (a
    /// segment whose first pieces precede the snapshot starts at its first
    /// written record instead); all are sealed, the last one too (appending
    /// goes on in a new segment, see below), and each file
    /// is written to a temporary name, fsynced and renamed, then its
    /// directory is fsynced. `WAL.open` on the result replays exactly the
    /// transactions committed at or before the target.
    ///
    /// - Throws: ``ArchiveError`` naming the object when the chain is broken
    ///   or an object is damaged; `.notFound` when the archive holds no
    ///   transaction that ended at or before `target`, or (with
    ///   `snapshotPath`) nothing to start from at or below it.
    public static func restore(
        from store: any ArchiveStore, prefix: String = "", into directory: String, upTo target: LSN? = nil,
        snapshotPath: (@Sendable (LSN) -> String)? = nil
    ) async throws -> RestoreReport {
        let layout = ArchiveLayout(prefix: prefix)
        let walk = ChainWalk(store: store, layout: layout, strict: false)
        let head = try await walk.readHead()
        let limit = min(target?.rawValue ?? head.lastLSN, head.lastLSN)
        let snapshot = snapshotPath == nil ? nil : try await newestSnapshot(store: store, layout: layout, head: head, atOrBelow: limit)
        try await runBlocking { try prepare(directory) }

        var report = RestoreReport(restoredLSN: snapshot?.lsn ?? .none, segments: [], pieces: 0, snapshotLSN: snapshot?.lsn)
        var pending: (segment: SegmentID, base: LSN, bytes: [UInt8])?
        var written: [(SegmentID, LSN, [UInt8])] = []
        var firstWritten: LSN?
        // From a snapshot, the walk starts at the piece holding its next LSN:
        // the pieces before it would only be read to be thrown away.
        let start: WalkStart = snapshot.map { .holdingSuccessor(of: $0.lsn) } ?? .anchor
        try await walk.walk(head: head, from: start) { checked in
            report.pieces += 1
            let piece = checked.piece
            // Whole pieces end at transaction boundaries; the one that
            // reaches past the target is cut at its last boundary at or
            // before it.
            var keep = 0
            if piece.lastLSN.rawValue <= limit {
                keep = checked.records.count
            } else {
                var tracker = TransactionTracker()
                for (index, record) in checked.records.enumerated() where record.lsn.rawValue <= limit {
                    _ = tracker.visit(kind: record.kind, lsn: record.lsn, txBeginLSN: record.txBeginLSN)
                    if tracker.isAtBoundary { keep = index + 1 }
                }
            }
            if keep > 0 {
                let end = checked.records[keep - 1].range.upperBound
                if pending?.segment != piece.segment {
                    if let done = pending { written.append((done.segment, done.base, done.bytes)) }
                    // A segment whose earlier pieces were skipped starts at its first written record.
                    let base = firstWritten == nil ? piece.firstLSN : piece.segmentBaseLSN
                    pending = (piece.segment, base, SegmentHeader(baseLSN: base).bytes)
                }
                pending?.bytes += piece.body[0..<end]
                firstWritten = firstWritten ?? piece.firstLSN
                report.restoredLSN = max(report.restoredLSN, checked.records[keep - 1].lsn)
            }
            return piece.lastLSN.rawValue < limit
        }
        if let done = pending { written.append((done.segment, done.base, done.bytes)) }
        try checkStart(firstWritten: firstWritten, snapshot: snapshot, requiresStart: snapshotPath != nil, limit: limit, layout: layout)
        // Every segment is sealed, the last one too: the log that opens on
        // the result appends in a new segment. Appending to the last one
        // would extend an archived segment under another base LSN when the
        // restore started it at its first written record (a snapshot inside
        // it), and a writer continuing the archive would then ship pieces
        // that do not continue the archived segment.
        for index in written.indices {
            let header = SegmentHeader(baseLSN: written[index].1, isSealed: true).bytes
            written[index].2.replaceSubrange(0..<header.count, with: header)
        }
        let segments = written
        if let snapshot, let snapshotPath {
            let path = snapshotPath(snapshot.lsn)
            report.snapshotPath = path
            try await runBlocking { try writeFileDurably(snapshot.body, to: path) }
        }
        try await runBlocking {
            for (id, _, bytes) in segments { try writeSegment(bytes, id: id, in: directory) }
            try FileArchiveStore.syncDirectory(directory)
        }
        report.segments = written.map(\.0)
        return report
    }

    /// Refuses a restore that would have nothing to start from, or a hole
    /// between the snapshot and the log.
    private static func checkStart(
        firstWritten: LSN?, snapshot: ArchivedSnapshot?, requiresStart: Bool, limit: UInt64, layout: ArchiveLayout
    ) throws {
        if let snapshot {
            if let first = firstWritten, first.rawValue > snapshot.lsn.rawValue + 1 {
                throw ArchiveError(
                    .brokenChain,
                    "the snapshot at LSN \(snapshot.lsn) is followed by archived records from LSN \(first) only: LSNs \(snapshot.lsn.rawValue + 1)-\(first.rawValue - 1) are in neither",
                    key: layout.snapshotKey(lsn: snapshot.lsn))
            }
            return
        }
        guard let first = firstWritten else {
            throw ArchiveError(
                .notFound, "the archive holds no transaction that ended at or before LSN \(limit)", key: layout.headKey)
        }
        if requiresStart && first.rawValue > 1 {
            throw ArchiveError(
                .notFound,
                "the archived log starts at LSN \(first) and the archive holds no snapshot at or below LSN \(limit) to start from: LSNs 1-\(first.rawValue - 1) are in neither",
                key: layout.snapshotsPrefix)
        }
    }

    /// The newest archived snapshot at or below `limit`, checked; `nil` when there is none.
    static func newestSnapshot(
        store: any ArchiveStore, layout: ArchiveLayout, head: ArchiveHead, atOrBelow limit: UInt64
    ) async throws -> ArchivedSnapshot? {
        let keys = try await keptSnapshots(store: store, layout: layout, head: head).filter { $0.0.rawValue <= limit }
        guard let (lsn, key) = keys.max(by: { $0.0 < $1.0 }) else { return nil }
        return try await fetchSnapshot(store: store, key: key, lsn: lsn, head: head)
    }

    /// The oldest archived snapshot retention keeps, checked; `nil` when there is none.
    static func oldestSnapshot(store: any ArchiveStore, layout: ArchiveLayout, head: ArchiveHead) async throws -> ArchivedSnapshot? {
        let keys = try await keptSnapshots(store: store, layout: layout, head: head).filter { $0.0.rawValue <= head.lastLSN }
        guard let (lsn, key) = keys.min(by: { $0.0 < $1.0 }) else { return nil }
        return try await fetchSnapshot(store: store, key: key, lsn: lsn, head: head)
    }

    /// The LSNs and keys of the snapshots not awaiting deletion.
    static func keptSnapshots(store: any ArchiveStore, layout: ArchiveLayout, head: ArchiveHead) async throws -> [(LSN, String)] {
        try await store.listAll(prefix: layout.snapshotsPrefix).compactMap { info -> (LSN, String)? in
            guard let lsn = layout.snapshotLSN(of: info.key), !head.awaitsDeletion(snapshot: lsn) else { return nil }
            return (lsn, info.key)
        }
    }

    private static func fetchSnapshot(store: any ArchiveStore, key: String, lsn: LSN, head: ArchiveHead) async throws -> ArchivedSnapshot {
        guard let object = try await store.get(key) else {
            throw ArchiveError(.notFound, "the snapshot disappeared while the archive was read", key: key)
        }
        return try checkedSnapshot(object.bytes, key: key, lsn: lsn, head: head)
    }

    /// Decodes an archived snapshot and checks it belongs to this archive under this key.
    static func checkedSnapshot(_ bytes: [UInt8], key: String, lsn: LSN, head: ArchiveHead) throws -> ArchivedSnapshot {
        let snapshot = try ArchivedSnapshot.decode(bytes, key: key)
        guard snapshot.archiveID == head.archiveIDBytes else {
            throw ArchiveError(.brokenChain, "the snapshot belongs to another archive (its archive id differs from the head's)", key: key)
        }
        guard snapshot.lsn == lsn else {
            throw ArchiveError(.brokenChain, "the key names LSN \(lsn) but the snapshot holds LSN \(snapshot.lsn)", key: key)
        }
        return snapshot
    }

    /// Writes a file through a temporary name, fsyncs it, renames it into
    /// place and fsyncs its directory (creating missing directories durably).
    /// Refuses to replace an existing file.
    static func writeFileDurably(_ bytes: [UInt8], to path: String) throws {
        let directory = FileArchiveStore.parent(of: path)
        let fileSystem = PosixFileSystem()
        try ArchiveError.platform("cannot create the directory", path: directory) {
            try fileSystem.createDirectoryDurably(directory)
        }
        if fileSystem.fileExists(path) {
            throw ArchiveError(.invalidArgument, "the file already exists: restore into an empty place", path: path)
        }
        let temporary = try FileArchiveStore.writeTemporary(bytes, in: directory)
        guard rename(temporary, path) == 0 else {
            let error = errno
            unlink(temporary)
            throw ArchiveError(.io, "cannot move a restored file into place", path: path, errno: error)
        }
        try FileArchiveStore.syncDirectory(directory)
    }

    /// Downloads every object of the archive and checks each piece's hashes
    /// and records, the chain, LSN continuity, and that the chain ends at the
    /// head; then every snapshot's hashes, archive id and LSN, and that the
    /// head's newest snapshot is there. Objects under `segments/` or
    /// `snapshots/` that are not acknowledged pieces or snapshots are
    /// errors too.
    ///
    /// - Throws: ``ArchiveError`` whose `key` names the first bad object.
    public static func verify(store: any ArchiveStore, prefix: String = "") async throws -> VerifyReport {
        let walk = ChainWalk(store: store, layout: ArchiveLayout(prefix: prefix), strict: true)
        let head = try await walk.readHead()
        var report = VerifyReport(pieces: 0, records: 0, bytes: 0, firstLSN: .none, lastLSN: .none)
        try await walk.walk(head: head) { checked in
            report.pieces += 1
            report.records += checked.records.count
            report.bytes += checked.piece.body.count
            if report.firstLSN.isNone { report.firstLSN = checked.piece.firstLSN }
            report.lastLSN = checked.piece.lastLSN
            return true
        }
        report.strayPieces = walk.strays.all
        report.unacknowledgedPieces = walk.unacknowledged.all
        let layout = ArchiveLayout(prefix: prefix)
        for info in try await store.listAll(prefix: layout.snapshotsPrefix) {
            guard let lsn = layout.snapshotLSN(of: info.key) else {
                throw ArchiveError(.brokenChain, "an object under snapshots/ whose name is not a snapshot's", key: info.key)
            }
            if head.awaitsDeletion(snapshot: lsn) { continue }
            guard lsn.rawValue <= head.lastLSN else {
                throw ArchiveError(
                    .brokenChain, "a snapshot beyond the head's last LSN \(head.lastLSN): never acknowledged, or foreign", key: info.key)
            }
            guard let object = try await store.get(info.key) else {
                throw ArchiveError(.notFound, "the object disappeared while the archive was read", key: info.key)
            }
            let snapshot = try checkedSnapshot(object.bytes, key: info.key, lsn: lsn, head: head)
            report.snapshots.append(snapshot.lsn)
        }
        if let newest = head.lastSnapshotLSN, !report.snapshots.contains(LSN(newest)) {
            throw ArchiveError(
                .brokenChain, "the head names a snapshot at LSN \(newest) that is missing", key: head.lastSnapshotKey ?? layout.headKey)
        }
        return report
    }

    /// Creates `directory` if needed and refuses one that already holds a log.
    static func prepare(_ directory: String) throws {
        try ArchiveError.platform("cannot create the directory", path: directory) {
            try PosixFileSystem().createDirectoryDurably(directory)
        }
        let entries = (try? listNames(directory)) ?? []
        if let segment = entries.first(where: { SegmentID(fileName: $0) != nil }) {
            throw ArchiveError(.invalidArgument, "the directory already holds a log (\(segment)): restore into an empty one", path: directory)
        }
    }

    static func listNames(_ directory: String) throws -> [String] {
        try ArchiveError.platform("cannot list the directory", path: directory) {
            try PosixFileSystem().listDirectory(directory)
        }
    }

    /// Writes one segment to `<name>.tmp`, fsyncs it and renames it into place.
    static func writeSegment(_ bytes: [UInt8], id: SegmentID, in directory: String) throws {
        let temporary = try FileArchiveStore.writeTemporary(bytes, in: directory)
        let path = directory + "/" + id.fileName
        guard rename(temporary, path) == 0 else {
            let error = errno
            unlink(temporary)
            throw ArchiveError(.io, "cannot move a restored segment into place", path: path, errno: error)
        }
    }
}
