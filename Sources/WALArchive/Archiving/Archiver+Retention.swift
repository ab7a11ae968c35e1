import Foundation
import WriteAheadLog

/// Which restore points an archive keeps.
public struct RetentionPolicy: Sendable, Equatable {
    /// The newest snapshots kept, whatever their age (at least 1).
    public var keepSnapshots: Int
    /// Snapshots archived within this long are kept too; `nil` for none by age.
    public var keepFor: Duration?

    public init(keepSnapshots: Int, keepFor: Duration? = nil) {
        self.keepSnapshots = max(1, keepSnapshots)
        self.keepFor = keepFor
    }
}

/// What ``Archiver/applyRetention(_:now:)`` did.
public struct RetentionReport: Sendable, Equatable {
    /// The LSNs of the snapshots kept, ascending.
    public var keptSnapshots: [UInt64] = []
    /// The keys deleted.
    public var deletedSnapshots: [String] = []
    public var deletedPieces: [String] = []
    /// The archive's first LSN after the run: every restore point from here on is kept.
    public var anchorLSN: UInt64?
}

extension Archiver {
    /// Deletes the snapshots the policy does not keep and the pieces no
    /// kept snapshot needs: those that end at or before the oldest kept
    /// snapshot's LSN. Every restore point at or after the oldest kept
    /// snapshot stays restorable, exactly, and `verify` passes.
    ///
    /// The head is changed first (a conditional replace under this
    /// archiver's lease): its snapshot catalog loses the dropped snapshots
    /// and its anchor moves to the oldest kept piece, so that walks skip
    /// what is about to go. Only then are objects deleted, snapshots before
    /// pieces. A crash in between leaves objects awaiting deletion, which
    /// walks skip and the next run deletes.
    ///
    /// Snapshots are found in the head's catalog (which records when each
    /// was archived); an archive without snapshots keeps everything.
    public func applyRetention(_ policy: RetentionPolicy, now: Date = Date()) async throws -> RetentionReport {
        var round = ArchiveRound()
        var (current, version) = try await loadHead(round: &round)
        var report = RetentionReport(anchorLSN: current.anchorLSN)
        let catalog = (current.snapshots ?? []).sorted { $0.lsn < $1.lsn }
        guard !catalog.isEmpty else { return report }

        let cutoff = policy.keepFor.map { Int64(now.timeIntervalSince1970) - $0.components.seconds }
        let newest = Set(catalog.suffix(policy.keepSnapshots).map(\.lsn))
        let kept = catalog.filter { entry in
            if newest.contains(entry.lsn) { return true }
            guard let cutoff else { return false }
            return entry.archivedAt >= cutoff
        }
        guard let oldestKept = kept.first?.lsn else { return report }
        report.keptSnapshots = kept.map(\.lsn)

        // The new anchor: the first piece that holds a record after the
        // oldest kept snapshot, or the newest piece when none does yet.
        let pieces = try await store.listAll(prefix: layout.segmentsPrefix).compactMap { info in
            layout.pieceRange(of: info.key).map { (key: info.key, range: $0, size: info.size) }
        }
        let onChain = pieces.filter { $0.range.lowerBound.rawValue <= current.lastLSN }
        let anchorPiece = onChain.first { $0.range.upperBound.rawValue > oldestKept && $0.range.upperBound.rawValue >= (current.anchorLSN ?? 0) }
            ?? onChain.last { $0.key == current.lastKey }
        if let anchorPiece, anchorPiece.range.lowerBound.rawValue > (current.anchorLSN ?? 0) {
            guard let object = try await store.get(anchorPiece.key) else {
                throw ArchiveError(.notFound, "the piece that would anchor the archive is missing", key: anchorPiece.key)
            }
            let (piece, _) = try LogPiece.decode(object.bytes, key: anchorPiece.key)
            // The head counts what the archive holds: take out the pieces
            // this run drops (those below the old anchor were taken out by
            // the run that set it, even if it died before deleting them).
            let oldAnchor = current.anchorLSN ?? 0
            for dropped in onChain
            where dropped.range.upperBound.rawValue < piece.firstLSN.rawValue && dropped.range.upperBound.rawValue >= oldAnchor {
                current.pieces = max(0, current.pieces - 1)
                current.bytes -= min(current.bytes, UInt64(max(0, dropped.size - LogPiece.headerSize)))
            }
            current.anchorLSN = piece.firstLSN.rawValue
            current.anchorHash = piece.previousHash.map(hexByte).joined()
        }
        current.snapshots = kept
        if current.snapshots != catalog || current.anchorLSN != report.anchorLSN {
            version = try await store.put(layout.headKey, try current.encoded(), condition: .ifMatches(version))
            head = (current, version)
        }
        report.anchorLSN = current.anchorLSN

        let keptLSNs = Set(kept.map(\.lsn))
        for info in try await store.listAll(prefix: layout.snapshotsPrefix) {
            guard let lsn = layout.snapshotLSN(of: info.key), lsn.rawValue < oldestKept, !keptLSNs.contains(lsn.rawValue) else { continue }
            try await store.delete(info.key)
            report.deletedSnapshots.append(info.key)
        }
        if let anchor = current.anchorLSN {
            for piece in pieces where piece.range.upperBound.rawValue < anchor {
                try await store.delete(piece.key)
                report.deletedPieces.append(piece.key)
            }
        }
        return report
    }
}
