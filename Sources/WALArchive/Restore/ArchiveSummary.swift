import WriteAheadLog

/// What an archive holds, read cheaply: the head, the first piece's key
/// (one listing of one key) and the snapshot keys (one listing). Nothing
/// is downloaded but the head; ``ArchiveRestore/verify(store:prefix:)``
/// checks the bytes.
public struct ArchiveSummary: Sendable, Equatable {
    /// The head as stored.
    public var head: ArchiveHead
    /// The LSN range the archived log covers (`nil` for an empty archive).
    public var firstLSN: LSN?
    public var lastLSN: LSN?
    /// The LSNs of the snapshot objects, ascending.
    public var snapshots: [LSN]
    /// Who holds the archive's lease, at which epoch; nil before any writer took it.
    public var lease: ArchiveLease?

    /// Reads the summary of the archive under `prefix`.
    ///
    /// - Throws: ``ArchiveError`` `.notFound` when there is no archive there
    ///   (no head), `.corruption` when the head cannot be read.
    public static func read(store: any ArchiveStore, prefix: String = "") async throws -> ArchiveSummary {
        let layout = ArchiveLayout(prefix: prefix)
        let head = try await ChainWalk(store: store, layout: layout, strict: false).readHead()
        let first = try await store.list(prefix: layout.segmentsPrefix, after: nil, limit: 1).objects.first
            .flatMap { layout.pieceRange(of: $0.key)?.lowerBound }
        let snapshots = try await store.listAll(prefix: layout.snapshotsPrefix).compactMap { layout.snapshotLSN(of: $0.key) }
            .filter { !head.awaitsDeletion(snapshot: $0) }
        let lease = try await store.get(layout.leaseKey).map { try ArchiveLease.decode($0.bytes, key: layout.leaseKey) }
        // Pieces before the anchor await deletion: the archive begins at the anchor.
        let begins = [first, head.anchorLSN.map { LSN($0) }].compactMap { $0 }.max()
        return ArchiveSummary(
            head: head, firstLSN: head.lastLSN == 0 ? nil : begins, lastLSN: head.lastLSN == 0 ? nil : LSN(head.lastLSN),
            snapshots: snapshots.sorted(), lease: lease)
    }
}
