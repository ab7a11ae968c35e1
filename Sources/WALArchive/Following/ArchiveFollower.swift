import WriteAheadLog

/// Follows an archive as another writer fills it: starts from the newest
/// archived snapshot, then hands over every transaction committed after
/// it, in LSN order, checked against the chain: what a read replica runs.
///
/// A poll reads the head, one small object, and nothing else while the
/// head has not moved; when it has, it lists only the keys after the
/// newest piece read and downloads the new pieces. Each piece is checked
/// as ``ArchiveRestore/verify(store:prefix:)`` checks it (hashes, archive
/// id, predecessor, LSN continuity, records, transaction rules); the
/// first piece after the snapshot is the one whose predecessor is taken on
/// trust, since the pieces before the snapshot are never read.
///
/// Only what the head acknowledges is read, so a follower never sees a
/// transaction that a fenced writer stored and no head names.
public actor ArchiveFollower<Event: WALEvent> {
    public let store: any ArchiveStore
    public let layout: ArchiveLayout
    private var walk: ChainWalk

    /// The archive id of the head read by ``start()``: an archive replaced
    /// under the same prefix is refused, not followed.
    private var archiveID: [UInt8]?
    /// The snapshot the follower started from (`.none` for LSN 1).
    private var startLSN = LSN.none
    /// The newest piece read and checked; nil until the first.
    private var position: ChainPosition?
    /// Checked transactions not yet accepted, oldest first.
    private var pending: [FollowedTransaction<Event>] = []
    /// Everything up to this LSN was handed over and accepted: the commit
    /// LSN of the newest transaction accepted, or the end of the newest
    /// piece read once all of it was (its last records may be markers).
    public private(set) var appliedLSN = LSN.none
    /// The head's last LSN as last read.
    public private(set) var archiveLSN = LSN.none
    /// The lease holder named in the archive's lease, as last read (again whenever the head's epoch changes).
    public private(set) var leaseHolder: String?
    /// The head's lease epoch when the holder was read.
    private var leaseEpoch: UInt64?

    /// The piece bytes one read gathers before its transactions are handed over.
    private let batchBytes: Int

    public init(store: any ArchiveStore, prefix: String = "", batchBytes: Int = 16 << 20) {
        self.store = store
        self.batchBytes = max(1, batchBytes)
        self.layout = ArchiveLayout(prefix: prefix)
        self.walk = ChainWalk(store: store, layout: ArchiveLayout(prefix: prefix), strict: false)
    }

    /// Starts, or starts again, from the newest archived snapshot at or
    /// below the head, which it returns (decoded and checked); nil when the
    /// archive holds no snapshot and its log starts at LSN 1, so following
    /// starts from nothing. Forgets whatever an earlier start read.
    ///
    /// - Throws: ``ArchiveError`` `.notFound` when there is no archive, or
    ///   neither a snapshot nor the log from LSN 1 to start from.
    ///
    /// With `oldest`, starts as early as the archive allows instead: at LSN
    /// 1 when it holds the whole log, else at its oldest kept snapshot (a
    /// replay that checks every later snapshot starts there).
    public func start(oldest: Bool = false) async throws -> ArchivedSnapshot? {
        walk = ChainWalk(store: store, layout: layout, strict: false)
        let head = try await walk.readHead()
        let startsAtOne = try await firstPieceStartsAtOne()
        let wholeLog = head.anchorLSN == nil && startsAtOne
        let snapshot =
            oldest && wholeLog
            ? nil
            : oldest
                ? try await ArchiveRestore.oldestSnapshot(store: store, layout: layout, head: head)
                : try await ArchiveRestore.newestSnapshot(store: store, layout: layout, head: head, atOrBelow: head.lastLSN)
        if snapshot == nil, let anchor = head.anchorLSN, anchor > 1 {
            throw ArchiveError(
                .notFound, "the archived log starts at LSN \(anchor) and the archive holds no snapshot to start from", key: layout.snapshotsPrefix)
        }
        archiveID = head.archiveIDBytes
        startLSN = snapshot?.lsn ?? .none
        appliedLSN = startLSN
        archiveLSN = LSN(head.lastLSN)
        position = nil
        pending = []
        leaseHolder = try await readLeaseHolder()
        leaseEpoch = head.epoch
        return snapshot
    }

    /// Reads the head and hands `accept` every transaction committed since
    /// the last one it accepted, in LSN order. Stops at the first one
    /// `accept` declines (returns false for), which the next poll hands
    /// over again first. Transactions that aborted are never handed over.
    ///
    /// - Throws: ``ArchiveError`` naming the object when the chain is
    ///   broken or an object damaged; `.diverged` when the archive was
    ///   replaced (another archive id); `.fellBehind` when retention
    ///   deleted pieces this follower still needs, after which only
    ///   ``start()`` goes on;
    ///   whatever `accept` throws, the transaction staying pending.
    public func poll(_ accept: @Sendable (FollowedTransaction<Event>) async throws -> Bool) async throws -> FollowRound {
        guard let archiveID else {
            throw ArchiveError(.invalidArgument, "the follower has not started: call start() first", key: layout.headKey)
        }
        var round = FollowRound()
        if try await handOver(accept, &round) {
            let head = try await walk.readHead()
            guard head.archiveIDBytes == archiveID else {
                throw ArchiveError(
                    .diverged, "the archive was replaced: its head names another archive id than when following started", key: layout.headKey)
            }
            archiveLSN = LSN(head.lastLSN)
            if head.epoch != leaseEpoch {
                leaseHolder = try await readLeaseHolder()
                leaseEpoch = head.epoch
            }
            let readThrough = position?.lastLSN ?? startLSN
            if head.lastLSN > readThrough.rawValue {
                if let anchor = head.anchorLSN, anchor > readThrough.rawValue + 1 {
                    throw ArchiveError(
                        .fellBehind,
                        "retention deleted the pieces after LSN \(readThrough) that this follower still needs (the archive now begins at LSN \(anchor)); start again from a snapshot",
                        key: layout.headKey)
                }
                // In batches, each handed over before the next is read, so
                // a follower far behind holds one batch, not the backlog.
                while (position?.lastLSN ?? startLSN).rawValue < head.lastLSN {
                    try await read(head: head, &round)
                    guard try await handOver(accept, &round) else { break }
                }
            }
        }
        round.archiveLSN = archiveLSN
        round.appliedLSN = appliedLSN
        return round
    }

    /// The archived snapshot at exactly `lsn`, checked; nil when the
    /// archive holds none (yet).
    public func snapshot(at lsn: LSN) async throws -> ArchivedSnapshot? {
        let head = try await walk.readHead()
        let key = layout.snapshotKey(lsn: lsn)
        guard let object = try await store.get(key) else { return nil }
        return try ArchiveRestore.checkedSnapshot(object.bytes, key: key, lsn: lsn, head: head)
    }

    /// The LSNs of the archived snapshots retention keeps, up to the head, ascending.
    public func snapshotLSNs() async throws -> [LSN] {
        let head = try await walk.readHead()
        return try await ArchiveRestore.keptSnapshots(store: store, layout: layout, head: head)
            .map(\.0).filter { $0.rawValue <= head.lastLSN }.sorted()
    }

    /// Hands pending transactions over; false when one was declined.
    private func handOver(_ accept: @Sendable (FollowedTransaction<Event>) async throws -> Bool, _ round: inout FollowRound) async throws -> Bool {
        while let next = pending.first {
            guard try await accept(next) else {
                round.isWaiting = true
                return false
            }
            pending.removeFirst()
            appliedLSN = next.commitLSN
            round.applied += 1
        }
        // Everything read is handed over: the records after the last commit
        // (checkpoint markers, aborted transactions) count as followed too.
        appliedLSN = max(appliedLSN, position?.lastLSN ?? startLSN)
        return true
    }


    /// Downloads and checks the pieces after the newest one read, towards
    /// the head, about `batchBytes` at a time, and queues their
    /// committed transactions.
    private func read(head: ArchiveHead, _ round: inout FollowRound) async throws {
        let start: WalkStart
        let listing: [ObjectInfo]
        if let position {
            start = .after(position)
            listing = try await store.listAll(prefix: layout.segmentsPrefix, after: position.key)
        } else {
            start = startLSN.isNone ? .anchor : .holdingSuccessor(of: startLSN)
            listing = try await store.listAll(prefix: layout.segmentsPrefix)
        }
        var queued: [FollowedTransaction<Event>] = []
        var batchBytes = 0
        let limit = self.batchBytes
        var newest = position
        let startLSN = self.startLSN
        let layout = self.layout
        try await walk.walk(head: head, from: start, listing: listing) { checked in
            if newest == nil {
                let first = checked.piece.firstLSN.rawValue
                guard startLSN.isNone ? first == 1 : first <= startLSN.rawValue + 1 else {
                    throw ArchiveError(
                        .brokenChain,
                        startLSN.isNone
                            ? "the archived log starts at LSN \(first), and there is no snapshot to start from"
                            : "the snapshot at LSN \(startLSN) is followed by archived records from LSN \(first) only",
                        key: checked.key.isEmpty ? layout.segmentsPrefix : checked.key)
                }
            }
            queued += try Self.transactions(in: checked, after: startLSN)
            newest = checked.position
            round.piecesRead += 1
            batchBytes += checked.piece.body.count
            return batchBytes < limit
        }
        position = newest
        pending += queued
    }

    /// The committed transactions of a checked piece that begin after `floor`.
    static func transactions(in checked: CheckedPiece, after floor: LSN) throws -> [FollowedTransaction<Event>] {
        var open: [LSN: FollowedTransaction<Event>] = [:]
        var done: [FollowedTransaction<Event>] = []
        let body = checked.piece.body
        for record in checked.records {
            let payload = Array(body[(record.range.lowerBound + RecordFrame.headerSize)..<(record.range.upperBound - RecordFrame.trailerSize)])
            switch record.kind {
            case .txBegin:
                open[record.lsn] = FollowedTransaction(beginLSN: record.lsn, commitLSN: .none, commitTime: nil, events: [])
            case .mutation, .mutationBatch:
                let events: [Event]
                do {
                    events = try RecordPayload.events(kind: record.kind, payload: payload, lsn: record.lsn, as: Event.self)
                } catch {
                    throw ArchiveError(.corruption, "LSN \(record.lsn) does not decode: \(error)", key: checked.key)
                }
                open[record.txBeginLSN]?.events += events
            case .txCommit:
                guard var transaction = open.removeValue(forKey: record.txBeginLSN) else { continue }
                if transaction.beginLSN <= floor {
                    // Inside the snapshot the follower started from; one
                    // that began inside it and commits after cannot be
                    // applied exactly.
                    guard record.lsn <= floor else {
                        throw ArchiveError(
                            .corruption,
                            "transaction \(transaction.beginLSN) began at or before the snapshot's LSN \(floor) but commits after it, at \(record.lsn)",
                            key: checked.key)
                    }
                    continue
                }
                transaction.commitLSN = record.lsn
                transaction.commitTime = CommitTime.decode(payload)
                done.append(transaction)
            case .txAbort:
                open[record.txBeginLSN] = nil
            case .checkpoint:
                continue
            }
        }
        return done
    }

    /// Whether the archive's first piece starts at LSN 1 (or it has none yet).
    private func firstPieceStartsAtOne() async throws -> Bool {
        let page = try await store.list(prefix: layout.segmentsPrefix, after: nil, limit: 1)
        guard let first = page.objects.first else { return true }
        return layout.pieceRange(of: first.key)?.lowerBound == LSN(1)
    }

    private func readLeaseHolder() async throws -> String? {
        guard let object = try await store.get(layout.leaseKey) else { return nil }
        return try ArchiveLease.decode(object.bytes, key: layout.leaseKey).holder
    }
}
