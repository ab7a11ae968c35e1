#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import Synchronization
import WriteAheadLog

/// Ships a log directory to an archive: every record up to the last
/// transaction boundary that is on disk, as immutable pieces, and the
/// archive's head after each piece.
///
/// ``archiveOnce()`` is one round; ``run(onError:)`` repeats it every
/// `archiveInterval`. The archiver reads the directory the way
/// ``WALInspector`` does (no lock, no writes), so it may run beside the
/// live handle, in the same process or another one, or on a closed log.
///
/// One archiver per archive: before its first round it takes the lease
/// (``ArchiveLease``), refusing an archive another holder leases unless
/// told to take over, and stamps its epoch into the head; an archiver
/// whose lease was taken over is fenced and never writes again.
public actor Archiver {
    public let directory: String
    public let store: any ArchiveStore
    public let layout: ArchiveLayout
    public let options: ArchiverOptions

    /// The head as last read or written, and its version in the store;
    /// `nil` until the first round and after any failure, so that the next
    /// round starts again from what the store holds.
    var head: (value: ArchiveHead, version: ObjectVersion)?
    /// Whether the log's record at the head's last LSN was compared with
    /// the archived one since the head was loaded.
    private var continuityChecked = false
    /// The lease epoch this archiver holds, once it took the lease.
    private var epoch: UInt64?
    /// Set once another writer took the lease over: every later round refuses.
    private var fencedBy: ArchiveError?
    /// Published after every round, for readers that must not wait on the actor.
    private let published = Mutex(ArchiverStatus())

    /// What the archiver has done so far; never waits for a round in progress.
    public nonisolated var status: ArchiverStatus { published.withLock { $0 } }

    public init(directory: String, store: any ArchiveStore, options: ArchiverOptions = ArchiverOptions()) {
        self.directory = directory
        self.store = store
        self.layout = ArchiveLayout(prefix: options.prefix)
        self.options = options
    }

    /// Ships every committed record the archive lacks, and returns what it did.
    ///
    /// Reads the log without its lock, keeps the records after the head's
    /// last LSN up to the last point where no transaction is open (a torn
    /// or unfinished tail is never shipped), fsyncs the segment files read,
    /// and stores one piece per segment with a conditional create, replacing
    /// the head after each. A failure leaves the archive consistent: a piece
    /// stored but not named by the head is removed by the next round.
    ///
    /// - Throws: ``ArchiveError`` `.diverged` when the log no longer holds
    ///   records the archive needs next (truncated before they were
    ///   archived) or ends before the archive does; `.preconditionFailed`
    ///   when another writer changed the head; store and log errors as they come.
    public func archiveOnce() async throws -> ArchiveRound {
        do {
            let round = try await ship()
            let now = ContinuousClock.now
            published.withLock { status in
                status.archivedLSN = round.archivedLSN
                status.logLSN = max(round.logLSN, round.archivedLSN)
                status.snapshotLSN = round.snapshotLSN
                status.objectsShipped += round.shipped.count + round.shippedSnapshots.count
                status.bytesShipped += round.bytes
                status.lastError = nil
                status.lastSuccessAt = now
                if round.archivedLSN >= round.logLSN { status.caughtUpAt = now }
            }
            return round
        } catch {
            head = nil
            published.withLock { status in
                status.errors += 1
                status.lastError = "\(error)"
                status.isFenced = status.isFenced || (error as? ArchiveError)?.code == .fenced
            }
            throw error
        }
    }

    /// Calls ``archiveOnce()`` every `archiveInterval` until the task is
    /// cancelled, handing each failure to `onError` and trying again at the
    /// next interval (the log keeps everything not yet archived).
    public func run(onError: @Sendable (any Error) -> Void) async {
        while !Task.isCancelled {
            do {
                _ = try await archiveOnce()
            } catch {
                onError(error)
                // Fenced: another writer owns the archive now; never write again.
                if let error = error as? ArchiveError, error.code == .fenced { return }
            }
            do { try await Task.sleep(for: options.archiveInterval) } catch { return }
        }
    }

    /// Takes the lease (at the next epoch when ``ArchiverOptions/takesOver``),
    /// stamps its epoch into the head and returns the head, without
    /// shipping anything: from here on no other writer can extend the
    /// archive, so the head names everything it will ever hold from them.
    /// A read replica's promotion calls this before it restores the log it
    /// then continues.
    ///
    /// - Throws: ``ArchiveError`` `.leased` when another holder leases the
    ///   archive and this archiver does not take over; store errors as they come.
    public func acquire() async throws -> ArchiveHead {
        var round = ArchiveRound()
        do {
            return try await loadHead(round: &round).0
        } catch {
            head = nil
            throw error
        }
    }

    private func ship() async throws -> ArchiveRound {
        var round = ArchiveRound()
        let cached = head != nil
        var (current, version) = try await loadHead(round: &round)
        let directory = self.directory
        let since = LSN(current.lastLSN)
        let compareFrom = continuityChecked ? nil : current.lastKey.flatMap { layout.pieceRange(of: $0)?.lowerBound }
        let scan = try await runBlocking { try LogScan.read(directory: directory, after: since, compareFrom: compareFrom) }
        let idle = scan.records.isEmpty && cached
        if idle, try await !headIsUnchanged(version) {
            // Another writer changed the head: a take-over. Reloading takes
            // the lease again, which says `fenced` when it was taken.
            head = nil
            (current, version) = try await loadHead(round: &round)
            round.archivedLSN = current.lastLSN
            round.logLSN = current.lastLSN
            return round
        }
        try check(scan, against: current)
        if !continuityChecked {
            try await checkSameRecord(scan, against: current)
            continuityChecked = true
        }
        round.archivedLSN = current.lastLSN
        round.logLSN = scan.records.last?.lsn.rawValue ?? current.lastLSN
        try await shipPieces(scan, head: &current, version: &version, round: &round)
        try await shipSnapshots(head: &current, version: &version, round: &round)
        round.snapshotLSN = current.lastSnapshotLSN ?? 0
        return round
    }

    /// Whether the head in the store is still the version this archiver
    /// wrote or read last: one HEAD request.
    ///
    /// A round with something to ship learns of a take-over from its
    /// conditional head update; an idle one would not, and a fenced
    /// primary with nothing to ship would go on saying it was healthy, and
    /// accept writes, until its next commit's round.
    private func headIsUnchanged(_ version: ObjectVersion) async throws -> Bool {
        try await store.head(layout.headKey)?.version == version
    }

    /// Stores one piece per segment the scan touched, replacing the head after each.
    private func shipPieces(
        _ scan: LogScan, head current: inout ArchiveHead, version: inout ObjectVersion, round: inout ArchiveRound
    ) async throws {
        guard !scan.records.isEmpty else { return }

        if options.syncsLogBeforeShipping {
            let paths = Set(scan.records.map(\.segmentPath))
            try await runBlocking { for path in paths { try Self.syncFile(path) } }
        }

        var start = 0
        while start < scan.records.count {
            let segment = scan.records[start].segment
            var end = start
            while end < scan.records.count && scan.records[end].segment == segment { end += 1 }
            let records = scan.records[start..<end]
            let summary = scan.segments[segment]
            let piece = LogPiece(
                archiveID: current.archiveIDBytes, firstLSN: records.first?.lsn ?? .none, lastLSN: records.last?.lsn ?? .none,
                segment: segment, segmentBaseLSN: summary?.baseLSN ?? .none, recordCount: records.count,
                endsSealedSegment: summary.map { $0.isSealed && $0.lastLSN == records.last?.lsn } ?? false,
                previousHash: current.lastHashBytes, body: records.flatMap(\.bytes),
                writerEpoch: UInt32(clamping: current.epoch ?? 0))
            let (bytes, hash) = piece.encoded()
            let key = layout.pieceKey(first: piece.firstLSN, last: piece.lastLSN)
            do {
                _ = try await store.put(key, bytes, condition: .ifAbsent)
            } catch let error as ArchiveError where error.code == .preconditionFailed {
                // Stored by a round that failed before its head update: the
                // same bytes are the same piece. Different bytes are never
                // replaced here: this archiver may itself be the one fenced
                // (its head is cached), and the object may then be the new
                // writer's acknowledged piece. The round fails; the next one
                // reloads the head, checks the lease, and only then removes
                // what lies beyond the head (a fenced writer's stray).
                guard let existing = try await store.get(key), existing.bytes == bytes else {
                    throw ArchiveError(
                        .brokenChain,
                        "another object already holds this piece's key with different bytes; the next round reloads the head and the lease",
                        key: key)
                }
            }
            current.lastLSN = piece.lastLSN.rawValue
            current.lastKey = key
            current.lastHash = hash.map(hexByte).joined()
            current.lastSegment = segment.rawValue
            current.pieces += 1
            current.bytes += UInt64(piece.body.count)
            do {
                version = try await store.put(layout.headKey, try current.encoded(), condition: .ifMatches(version))
            } catch let error as ArchiveError where error.code == .preconditionFailed {
                // Another writer changed the head (a take-over): no head will
                // ever name this piece, and left behind it would sit beside
                // the new writer's chain. Only a definite refusal says the
                // head did not take it; after any other failure it might have.
                try? await store.delete(key)
                throw error
            }
            head = (current, version)
            round.shipped.append(key)
            round.bytes += piece.body.count
            round.archivedLSN = current.lastLSN
            start = end
        }
    }

    /// Ships, oldest first, every snapshot the source reports that is newer
    /// than the archive's newest and that the archived log reaches (a
    /// restore replays the log after a snapshot, so one ahead of the log
    /// is of no use yet). Every one, not only the newest: a snapshot that
    /// replaced the graph (a load) cannot be rebuilt from an older one and
    /// the log.
    private func shipSnapshots(head current: inout ArchiveHead, version: inout ObjectVersion, round: inout ArchiveRound) async throws {
        guard let source = options.snapshots else { return }
        let newest = current.lastSnapshotLSN ?? 0
        let archived = current.lastLSN
        let candidates = try await runBlocking { try source.snapshots() }
            .filter { $0.lsn > newest && $0.lsn <= archived }
            .sorted { $0.lsn < $1.lsn }
        for candidate in candidates {
            // Pruned since it was listed: the next one (or round) goes on.
            let lsn = LSN(candidate.lsn)
            let key = layout.snapshotKey(lsn: lsn)
            guard let body = try await runBlocking({ try FileArchiveStore.readFile(candidate.path, key: key) }) else { continue }
            let bytes = ArchivedSnapshot(archiveID: current.archiveIDBytes, lsn: lsn, body: body).encoded()
            do {
                _ = try await store.put(key, bytes, condition: .ifAbsent)
            } catch let error as ArchiveError where error.code == .preconditionFailed {
                guard let existing = try await store.get(key), existing.bytes == bytes else {
                    throw ArchiveError(.brokenChain, "another object already holds this snapshot's key with different bytes", key: key)
                }
            }
            current.lastSnapshotLSN = candidate.lsn
            current.lastSnapshotKey = key
            current.snapshots = (current.snapshots ?? []) + [ArchiveHead.SnapshotEntry(lsn: candidate.lsn, archivedAt: Int64(Date().timeIntervalSince1970))]
            version = try await store.put(layout.headKey, try current.encoded(), condition: .ifMatches(version))
            head = (current, version)
            round.shippedSnapshots.append(key)
            round.bytes += body.count
        }
    }

    /// The head, from the cache or the store; creates the archive when the
    /// store has none, and removes pieces the head never acknowledged.
    func loadHead(round: inout ArchiveRound) async throws -> (ArchiveHead, ObjectVersion) {
        if let head { return head }
        if let fencedBy { throw fencedBy }
        continuityChecked = false
        var headObject = try await store.get(layout.headKey)
        let epoch = try await takeLease(headEpoch: try headObject.map { try ArchiveHead.decode($0.bytes, key: layout.headKey).epoch ?? 0 } ?? 0)
        // Read again: the lease decides who writes, so the head read before it may be stale.
        headObject = try await store.get(layout.headKey)
        var loaded: (ArchiveHead, ObjectVersion)
        if let object = headObject {
            loaded = (try ArchiveHead.decode(object.bytes, key: layout.headKey), object.info.version)
        } else {
            var random = SystemRandomNumberGenerator()
            let id = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
            var fresh = ArchiveHead(archiveID: id)
            fresh.epoch = epoch
            let version = try await store.put(layout.headKey, try fresh.encoded(), condition: .ifAbsent)
            loaded = (fresh, version)
        }
        if let headEpoch = loaded.0.epoch, headEpoch > epoch {
            throw fence(ArchiveError(
                .fenced, "the head was written at epoch \(headEpoch), above this archiver's \(epoch): another writer took the archive over",
                key: layout.headKey))
        }
        if loaded.0.epoch != epoch {
            // Stamp the epoch first, so a writer at an older epoch fails at its next head update.
            loaded.0.epoch = epoch
            loaded.1 = try await store.put(layout.headKey, try loaded.0.encoded(), condition: .ifMatches(loaded.1))
        }
        // Pieces sort by first LSN, so every piece after the head's newest
        // one was stored by a round that did not get to acknowledge it.
        let leftovers = try await store.listAll(prefix: layout.segmentsPrefix).filter { object in
            guard let range = layout.pieceRange(of: object.key) else { return false }
            return range.lowerBound.rawValue > loaded.0.lastLSN
        }
        for object in leftovers {
            try await store.delete(object.key)
            round.removedLeftovers.append(object.key)
        }
        head = loaded
        return loaded
    }

    /// Takes (or keeps) the lease and returns its epoch.
    ///
    /// - A store without a lease: create it at one above the head's epoch.
    /// - Our own lease (same holder name): keep its epoch, unless this
    ///   archiver held another epoch before, which means someone else took
    ///   the lease in between: fenced.
    /// - Another holder's: fenced if we held it before, refused (`leased`)
    ///   unless `takesOver`, which replaces it at the next epoch.
    private func takeLease(headEpoch: UInt64) async throws -> UInt64 {
        let key = layout.leaseKey
        let now = Int64(Date().timeIntervalSince1970)
        guard let object = try await store.get(key) else {
            let lease = ArchiveLease(holder: holder, epoch: max(headEpoch, epoch ?? 0) + 1, acquiredAt: now)
            do {
                _ = try await store.put(key, try lease.encoded(), condition: .ifAbsent)
            } catch let error as ArchiveError where error.code == .preconditionFailed {
                throw ArchiveError(.leased, "another archiver took the lease at the same moment; try again", key: key)
            }
            epoch = lease.epoch
            return lease.epoch
        }
        let lease = try ArchiveLease.decode(object.bytes, key: key)
        if lease.holder == holder && (epoch == nil || epoch == lease.epoch) {
            epoch = lease.epoch
            return lease.epoch
        }
        if let mine = epoch {
            throw fence(ArchiveError(
                .fenced,
                "the lease was taken over by \(lease.holder) at epoch \(lease.epoch) (this archiver held epoch \(mine)): it stops archiving",
                key: key))
        }
        guard options.takesOver else {
            throw ArchiveError(
                .leased,
                "the archive is leased to \(lease.holder) at epoch \(lease.epoch): another primary writes it; take over only if that one is gone for good",
                key: key)
        }
        let taken = ArchiveLease(holder: holder, epoch: max(lease.epoch, headEpoch) + 1, acquiredAt: now)
        do {
            _ = try await store.put(key, try taken.encoded(), condition: .ifMatches(object.info.version))
        } catch let error as ArchiveError where error.code == .preconditionFailed {
            throw ArchiveError(.leased, "the lease changed while this archiver took it over; try again", key: key)
        }
        epoch = taken.epoch
        return taken.epoch
    }

    /// Remembers that this archiver was fenced, so it never writes again.
    private func fence(_ error: ArchiveError) -> ArchiveError {
        fencedBy = error
        return error
    }

    /// The name this archiver holds the lease under.
    public nonisolated var holder: String { options.holder ?? Self.defaultHolder(directory: directory) }

    /// The host name and the log directory: the same across restarts of a
    /// primary, different on another machine.
    static func defaultHolder(directory: String) -> String {
        ProcessInfo.processInfo.hostName + ":" + directory
    }

    /// Refuses to ship when the log cannot continue the archive's chain.
    private func check(_ scan: LogScan, against head: ArchiveHead) throws {
        guard head.lastLSN > 0 else { return }
        if scan.lastLSN.rawValue < head.lastLSN {
            throw ArchiveError(
                .diverged,
                "the log ends at LSN \(scan.lastLSN) but the archive already holds LSNs up to \(head.lastLSN): this is not the log the archive was made from, or it lost records",
                key: layout.headKey, path: directory)
        }
        if let first = scan.records.first, first.lsn.rawValue != head.lastLSN + 1, first.segment.rawValue <= head.lastSegment {
            throw ArchiveError(
                .diverged,
                "the archive needs LSN \(head.lastLSN + 1) next but the log continues at \(first.lsn): records were truncated before they were archived",
                key: layout.headKey, path: directory)
        }
        if scan.firstLSN.rawValue > head.lastLSN + 1 && scan.records.first?.segment.rawValue ?? 0 <= head.lastSegment {
            throw ArchiveError(
                .diverged,
                "the log starts at LSN \(scan.firstLSN) but the archive needs LSN \(head.lastLSN + 1) next: segments were truncated before they were archived",
                key: layout.headKey, path: directory)
        }
    }

    /// Refuses a log whose records in the range of the archive's newest
    /// piece differ from the archived ones: a different log (restored and
    /// continued elsewhere, or another database's) that is at least as long.
    private func checkSameRecord(_ scan: LogScan, against head: ArchiveHead) async throws {
        guard head.lastLSN > 0, let key = head.lastKey else { return }
        guard let object = try await store.get(key) else {
            throw ArchiveError(.brokenChain, "the head's newest piece is missing", key: key)
        }
        let (piece, hash) = try LogPiece.decode(object.bytes, key: key)
        guard hash == head.lastHashBytes, piece.lastLSN.rawValue == head.lastLSN else {
            throw ArchiveError(.brokenChain, "the head's newest piece does not match the head", key: key)
        }
        // Segments truncated after they were archived: nothing to compare.
        guard !scan.firstLSN.isNone, scan.firstLSN <= piece.firstLSN else { return }
        guard piece.body == scan.compared else {
            throw ArchiveError(
                .diverged,
                "the log's records \(piece.firstLSN)-\(piece.lastLSN) differ from the archived ones: this is not the log the archive was made from",
                key: key, path: directory)
        }
    }

    /// Fsyncs a file through a read-only descriptor (Linux flushes the
    /// file's dirty pages, those of a writer's shared mapping included).
    static func syncFile(_ path: String) throws {
        try ArchiveError.platform("cannot fsync a segment before shipping it", path: path) {
            try PosixFileSystem().openFile(path, mode: .readOnly).sync()
        }
    }
}
