import Synchronization
import WriteAheadLog

/// Keys a walk collects as it goes (stray or unacknowledged pieces).
final class KeyList: Sendable {
    private let keys = Mutex<[String]>([])
    func add(_ key: String) { keys.withLock { $0.append(key) } }
    var all: [String] { keys.withLock { $0 } }
}

/// One piece read back from the archive and checked against the chain.
struct CheckedPiece {
    var key: String
    var piece: LogPiece
    var records: [ArchivedRecord]
    /// The piece's hash: what the next piece names as its predecessor.
    var hash: [UInt8]

    var position: ChainPosition {
        ChainPosition(key: key, lastLSN: piece.lastLSN, hash: hash, segment: piece.segment, segmentBaseLSN: piece.segmentBaseLSN)
    }
}

/// Where a walk of the chain begins.
enum WalkStart {
    /// At the head's anchor (LSN 1 when retention never ran): the first
    /// piece must name the anchor's hash as its predecessor.
    case anchor
    /// At the piece that holds the LSN after this one, whose predecessor is
    /// taken on trust: a follower starting from a snapshot at that LSN
    /// reads nothing before it.
    case holdingSuccessor(of: LSN)
    /// After a piece already read and checked.
    case after(ChainPosition)
}

/// The newest piece a walk checked: where the next walk goes on.
public struct ChainPosition: Sendable, Equatable {
    public var key: String
    public var lastLSN: LSN
    public var hash: [UInt8]
    public var segment: SegmentID
    public var segmentBaseLSN: LSN
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
    /// Pieces a fenced writer left beside the chain, found by the walk.
    let strays = KeyList()
    /// Pieces of this archive beyond the head (stored by a round that did
    /// not get to acknowledge them), found by a strict walk.
    let unacknowledged = KeyList()

    func readHead() async throws -> ArchiveHead {
        guard let object = try await store.get(layout.headKey) else {
            throw ArchiveError(.notFound, "no archive here: the head object is missing", key: layout.headKey)
        }
        return try ArchiveHead.decode(object.bytes, key: layout.headKey)
    }

    /// The piece of `group` (pieces that start at the same LSN) that
    /// continues the chain, downloaded. One piece is simply read; of
    /// several, the one that names `previous` as its predecessor, belongs
    /// to this archive and was written at the highest lease epoch wins: the
    /// others were left by a writer fenced since (``strayPieces`` lists
    /// them). When none qualifies, the first is returned, for the checks
    /// that follow to name what is wrong with it.
    func choose(among group: [ObjectInfo], following previous: [UInt8]?, head: ArchiveHead) async throws -> (ObjectInfo, StoredObject) {
        var pieces: [(info: ObjectInfo, object: StoredObject, piece: LogPiece?)] = []
        for info in group {
            guard let object = try await store.get(info.key) else {
                throw ArchiveError(.notFound, "the object disappeared while the archive was read", key: info.key)
            }
            pieces.append((info, object, group.count > 1 ? try? LogPiece.decode(object.bytes, key: info.key).piece : nil))
        }
        guard let firstObject = pieces.first else {
            throw ArchiveError(.notFound, "no piece to read", key: layout.segmentsPrefix)
        }
        guard group.count > 1 else { return (firstObject.info, firstObject.object) }
        func continues(_ piece: LogPiece?) -> Bool {
            guard let piece else { return false }
            return piece.archiveID == head.archiveIDBytes && (previous.map { piece.previousHash == $0 } ?? true)
        }
        let ranked = pieces.filter { continues($0.piece) && ($0.piece?.lastLSN.rawValue ?? .max) <= head.lastLSN }.sorted { ($0.piece?.writerEpoch ?? 0) > ($1.piece?.writerEpoch ?? 0) }
        // None continues the chain: the checks that follow name what is wrong with the first.
        guard let best = ranked.first, let bestEpoch = best.piece?.writerEpoch else { return (firstObject.info, firstObject.object) }
        for other in pieces where other.info.key != best.info.key {
            // A stray: this archive's, same predecessor, a fenced (lower) epoch.
            if continues(other.piece), let epoch = other.piece?.writerEpoch, epoch < bestEpoch {
                strays.add(other.info.key)
                continue
            }
            if continues(other.piece), (other.piece?.lastLSN.rawValue ?? .max) <= head.lastLSN {
                throw ArchiveError(
                    .brokenChain, "two pieces written at lease epoch \(bestEpoch) both continue the chain here; one writer never does that",
                    key: other.info.key)
            }
            guard strict else { continue }
            let reason =
                other.piece == nil ? "it is damaged or not a piece"
                : other.piece?.archiveID != head.archiveIDBytes ? "it belongs to another archive (its archive id differs from the head's)"
                : other.piece?.previousHash != previous ? "it does not continue the chain (its predecessor hash differs)"
                : "it reaches past the head's last LSN at the head's own epoch: never acknowledged"
            throw ArchiveError(.brokenChain, "another piece starts at the same LSN as the chain's, and \(reason)", key: other.info.key)
        }
        return (best.info, best.object)
    }

    /// Walks the chain from `start`, handing each checked piece to `visit`
    /// until it returns `false`. When the walk reaches the head's newest
    /// piece, the chain must end exactly there. `listing` is the objects
    /// under `segments/` in key order, at least those after the start (all
    /// of them when nil).
    func walk(
        head: ArchiveHead, from start: WalkStart = .anchor, listing given: [ObjectInfo]? = nil,
        _ visit: (CheckedPiece) throws -> Bool
    ) async throws {
        // nil: the first piece's predecessor is taken on trust.
        var expectedPrevious: [UInt8]? = head.anchorHashBytes
        var previousLast = LSN.none
        var previousSegment: (id: SegmentID, base: LSN)?
        /// Whether a listed piece lies wholly before where the walk starts.
        var isBeforeStart: (ClosedRange<LSN>) -> Bool = { _ in false }
        switch start {
        case .anchor:
            break
        case .holdingSuccessor(let lsn):
            // The head's newest record is at or below it: nothing follows to read.
            guard lsn.rawValue < head.lastLSN else { return }
            expectedPrevious = nil
            isBeforeStart = { $0.upperBound <= lsn }
        case .after(let position):
            expectedPrevious = position.hash
            previousLast = position.lastLSN
            previousSegment = (position.segment, position.segmentBaseLSN)
            // Pieces starting at or before it: read already, or strays beside them.
            isBeforeStart = { $0.lowerBound <= position.lastLSN }
        }
        var tracker = TransactionTracker()
        var reachedHead = head.lastLSN == previousLast.rawValue
        let listing: [ObjectInfo]
        if let given { listing = given } else { listing = try await store.listAll(prefix: layout.segmentsPrefix) }
        var index = 0
        while index < listing.count {
            let first = listing[index]
            guard let firstRange = layout.pieceRange(of: first.key) else {
                if strict {
                    throw ArchiveError(.brokenChain, "an object under segments/ whose name is not a piece's", key: first.key)
                }
                index += 1
                continue
            }
            // Before the anchor: retention deleted what needed it, and will delete this.
            if let anchor = head.anchorLSN, firstRange.upperBound.rawValue < anchor {
                index += 1
                continue
            }
            if isBeforeStart(firstRange) {
                index += 1
                continue
            }
            if firstRange.lowerBound.rawValue > head.lastLSN {
                guard strict else { break }
                // Beyond the head: a piece this archive's writer stored in a
                // round that died before its head update (the next round
                // removes it), listed; anything else is named.
                for info in listing[index...] {
                    guard layout.pieceRange(of: info.key) != nil, let object = try await store.get(info.key),
                        let (piece, _) = try? LogPiece.decode(object.bytes, key: info.key), piece.archiveID == head.archiveIDBytes
                    else {
                        throw ArchiveError(
                            .brokenChain, "an object beyond the head's last LSN \(head.lastLSN) that is not a piece of this archive",
                            key: info.key)
                    }
                    unacknowledged.add(info.key)
                }
                break
            }
            // Pieces that start at the same LSN sort next to each other.
            var group = [first]
            index += 1
            while index < listing.count, layout.pieceRange(of: listing[index].key)?.lowerBound == firstRange.lowerBound {
                group.append(listing[index])
                index += 1
            }
            let (info, object) = try await choose(among: group, following: expectedPrevious, head: head)
            guard let range = layout.pieceRange(of: info.key) else { continue }
            let (piece, hash) = try LogPiece.decode(object.bytes, key: info.key)
            guard piece.archiveID == head.archiveIDBytes else {
                throw ArchiveError(.brokenChain, "the piece belongs to another archive (its archive id differs from the head's)", key: info.key)
            }
            guard piece.firstLSN == range.lowerBound, piece.lastLSN == range.upperBound else {
                throw ArchiveError(
                    .brokenChain, "the key names LSNs \(range.lowerBound)-\(range.upperBound) but the piece holds \(piece.firstLSN)-\(piece.lastLSN)",
                    key: info.key)
            }
            guard expectedPrevious.map({ piece.previousHash == $0 }) ?? true else {
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
            guard try visit(CheckedPiece(key: info.key, piece: piece, records: records, hash: hash)) else { return }
        }
        guard reachedHead, previousLast.rawValue == head.lastLSN, expectedPrevious == head.lastHashBytes else {
            throw ArchiveError(
                .brokenChain,
                "the chain ends at LSN \(previousLast) but the head names LSN \(head.lastLSN): the head's newest piece is missing or was replaced",
                key: head.lastKey ?? layout.headKey)
        }
    }
}
