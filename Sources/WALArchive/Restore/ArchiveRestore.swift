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
}

/// What a verification checked.
public struct VerifyReport: Sendable, Equatable {
    public var pieces: Int
    public var records: Int
    public var bytes: Int
    public var firstLSN: LSN
    public var lastLSN: LSN
}

/// Restore and verification of an archive.
public enum ArchiveRestore {
    /// Rebuilds a log directory from the archive, up to exactly the last
    /// transaction that ended at or before `target` (everything the head
    /// acknowledges when `nil`), checking the chain of every piece it reads.
    ///
    /// The directory must not exist or hold no segments. Segments keep
    /// their ids and base LSNs; all but the last are sealed, and each is
    /// written to `<name>.tmp`, fsynced and renamed, then the directory is
    /// fsynced. `WAL.open` on the result replays exactly the transactions
    /// committed at or before the target.
    ///
    /// - Throws: ``ArchiveError`` naming the object when the chain is broken
    ///   or an object is damaged; `.notFound` when the archive holds no
    ///   transaction that ended at or before `target`.
    public static func restore(
        from store: any ArchiveStore, prefix: String = "", into directory: String, upTo target: LSN? = nil
    ) async throws -> RestoreReport {
        let walk = ChainWalk(store: store, layout: ArchiveLayout(prefix: prefix), strict: false)
        let head = try await walk.readHead()
        let limit = min(target?.rawValue ?? head.lastLSN, head.lastLSN)
        try await runBlocking { try prepare(directory) }

        var report = RestoreReport(restoredLSN: .none, segments: [], pieces: 0)
        var pending: (segment: SegmentID, base: LSN, bytes: [UInt8])?
        var written: [(SegmentID, LSN, [UInt8])] = []
        try await walk.walk(head: head) { checked in
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
                    pending = (piece.segment, piece.segmentBaseLSN, SegmentHeader(baseLSN: piece.segmentBaseLSN).bytes)
                }
                pending?.bytes += piece.body[0..<end]
                report.restoredLSN = checked.records[keep - 1].lsn
            }
            return piece.lastLSN.rawValue < limit
        }
        if let done = pending { written.append((done.segment, done.base, done.bytes)) }
        guard !written.isEmpty else {
            throw ArchiveError(
                .notFound, "the archive holds no transaction that ended at or before LSN \(limit)", key: ArchiveLayout(prefix: prefix).headKey)
        }
        // All segments but the last are sealed, as rotation leaves them.
        for index in written.indices.dropLast() {
            let header = SegmentHeader(baseLSN: written[index].1, isSealed: true).bytes
            written[index].2.replaceSubrange(0..<header.count, with: header)
        }
        let segments = written
        try await runBlocking {
            for (id, _, bytes) in segments { try writeSegment(bytes, id: id, in: directory) }
            try FileArchiveStore.syncDirectory(directory)
        }
        report.segments = written.map(\.0)
        return report
    }

    /// Downloads every object of the archive and checks each piece's hashes
    /// and records, the chain, LSN continuity, and that the chain ends at the
    /// head. Objects under `segments/` that are not acknowledged pieces are
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
        return report
    }

    /// Creates `directory` if needed and refuses one that already holds a log.
    static func prepare(_ directory: String) throws {
        if !FileArchiveStore.isDirectory(directory) {
            try FileArchiveStore.makeDirectories(directory, under: FileArchiveStore.parent(of: directory))
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
