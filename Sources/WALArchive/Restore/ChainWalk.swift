import WriteAheadLog

/// One piece read back from the archive and checked against the chain.
struct CheckedPiece {
    var key: String
    var piece: LogPiece
    var records: [ArchivedRecord]
}

/// Reads the pieces of an archive in key order (which is LSN order) and
/// checks each against the one before: its own hashes, the archive id, the
/// predecessor hash, the LSNs its key names, LSN continuity, every record's
/// framing and checksum, and the transaction rules. Every error names the
/// object it was found in.
struct ChainWalk {
    let store: any ArchiveStore
    let layout: ArchiveLayout
    /// Whether an object under `segments/` that is not a piece of the chain
    /// (a foreign name, or a piece beyond the head) is an error (verify) or
    /// is left alone (restore reads only what the head acknowledges).
    let strict: Bool

    func readHead() async throws -> ArchiveHead {
        guard let object = try await store.get(layout.headKey) else {
            throw ArchiveError(.notFound, "no archive here: the head object is missing", key: layout.headKey)
        }
        return try ArchiveHead.decode(object.bytes, key: layout.headKey)
    }

    /// Walks the chain, handing each checked piece to `visit` until it
    /// returns `false`. When the walk reaches the head's newest piece, the
    /// chain must end exactly there.
    func walk(head: ArchiveHead, _ visit: (CheckedPiece) throws -> Bool) async throws {
        var expectedPrevious = [UInt8](repeating: 0, count: 32)
        var previousLast = LSN.none
        var previousSegment: (id: SegmentID, base: LSN)?
        var tracker = TransactionTracker()
        var reachedHead = head.lastLSN == 0
        for info in try await store.listAll(prefix: layout.segmentsPrefix) {
            guard let range = layout.pieceRange(of: info.key) else {
                if strict {
                    throw ArchiveError(.brokenChain, "an object under segments/ whose name is not a piece's", key: info.key)
                }
                continue
            }
            if range.lowerBound.rawValue > head.lastLSN {
                if strict {
                    throw ArchiveError(
                        .brokenChain,
                        "a piece beyond the head's last LSN \(head.lastLSN): never acknowledged (left by an interrupted round, or foreign)",
                        key: info.key)
                }
                break
            }
            guard let object = try await store.get(info.key) else {
                throw ArchiveError(.notFound, "the object disappeared while the archive was read", key: info.key)
            }
            let (piece, hash) = try LogPiece.decode(object.bytes, key: info.key)
            guard piece.archiveID == head.archiveIDBytes else {
                throw ArchiveError(.brokenChain, "the piece belongs to another archive (its archive id differs from the head's)", key: info.key)
            }
            guard piece.firstLSN == range.lowerBound, piece.lastLSN == range.upperBound else {
                throw ArchiveError(
                    .brokenChain, "the key names LSNs \(range.lowerBound)-\(range.upperBound) but the piece holds \(piece.firstLSN)-\(piece.lastLSN)",
                    key: info.key)
            }
            guard piece.previousHash == expectedPrevious else {
                if !previousLast.isNone, piece.firstLSN.rawValue > previousLast.rawValue + 1 {
                    throw ArchiveError(
                        .brokenChain,
                        "the piece before this one is missing: LSNs after \(previousLast) up to \(piece.firstLSN.rawValue - 1) are gone and the predecessor hash does not match",
                        key: info.key)
                }
                throw ArchiveError(
                    .brokenChain,
                    previousLast.isNone
                        ? "the first piece of the archive names a predecessor: earlier pieces are missing"
                        : "the predecessor hash does not match the piece before (reordered, replaced or foreign)",
                    key: info.key)
            }
            if let previous = previousSegment, previous.id == piece.segment {
                guard piece.segmentBaseLSN == previous.base, piece.firstLSN.rawValue == previousLast.rawValue + 1 else {
                    throw ArchiveError(
                        .brokenChain, "the piece does not continue its segment at LSN \(previousLast.rawValue + 1)", key: info.key)
                }
            } else {
                guard previousSegment.map({ piece.segment > $0.id }) ?? true, piece.segmentBaseLSN > previousLast,
                    piece.firstLSN >= piece.segmentBaseLSN
                else {
                    throw ArchiveError(
                        .brokenChain, "segment \(piece.segment) with base LSN \(piece.segmentBaseLSN) does not follow the segment before",
                        key: info.key)
                }
            }
            let records = try ArchivedRecord.parseAll(piece.body, key: info.key)
            guard records.count == piece.recordCount, records.first?.lsn == piece.firstLSN, records.last?.lsn == piece.lastLSN else {
                throw ArchiveError(
                    .corruption, "the header names \(piece.recordCount) records \(piece.firstLSN)-\(piece.lastLSN); the body disagrees",
                    key: info.key)
            }
            for (index, record) in records.enumerated() {
                guard record.lsn.rawValue == piece.firstLSN.rawValue + UInt64(index) else {
                    throw ArchiveError(.corruption, "LSNs in the piece are not consecutive at \(record.lsn)", key: info.key)
                }
                if let broken = tracker.visit(kind: record.kind, lsn: record.lsn, txBeginLSN: record.txBeginLSN) {
                    throw ArchiveError(.corruption, "LSN \(broken.lsn) breaks a transaction rule: \(broken.rule)", key: info.key)
                }
            }
            guard tracker.isAtBoundary else {
                throw ArchiveError(.corruption, "the piece ends inside a transaction", key: info.key)
            }
            expectedPrevious = hash
            previousLast = piece.lastLSN
            previousSegment = (piece.segment, piece.segmentBaseLSN)
            if piece.lastLSN.rawValue == head.lastLSN {
                guard hash == head.lastHashBytes else {
                    throw ArchiveError(.brokenChain, "the head names another piece for LSN \(head.lastLSN): this one was replaced", key: info.key)
                }
                reachedHead = true
            }
            guard try visit(CheckedPiece(key: info.key, piece: piece, records: records)) else { return }
        }
        guard reachedHead, previousLast.rawValue == head.lastLSN, expectedPrevious == head.lastHashBytes else {
            throw ArchiveError(
                .brokenChain,
                "the chain ends at LSN \(previousLast) but the head names LSN \(head.lastLSN): the head's newest piece is missing or was replaced",
                key: head.lastKey ?? layout.headKey)
        }
    }
}
