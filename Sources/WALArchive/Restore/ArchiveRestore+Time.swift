import Foundation
import WriteAheadLog

extension ArchiveRestore {
    /// The LSN to restore to for "everything committed at or before `time`":
    /// the commit record of the last transaction whose commit time is at or
    /// before it. Commit times never go backwards in LSN order (the writer
    /// sees to it), so that transaction and every one before it form the
    /// prefix `restore(upTo:)` then rebuilds, exactly.
    ///
    /// Reads the chain from its first piece until the first commit after
    /// `time`, checking each piece as a restore does.
    ///
    /// - Throws: ``ArchiveError`` `.notFound` when no archived transaction
    ///   committed at or before `time` (naming the first commit time), and
    ///   `.invalidArgument` when the answer depends on transactions whose
    ///   commit records carry no time (written before segment format 2):
    ///   restore those by LSN.
    public static func lsn(committedAtOrBefore time: Date, store: any ArchiveStore, prefix: String = "") async throws -> LSN {
        let layout = ArchiveLayout(prefix: prefix)
        let walk = ChainWalk(store: store, layout: layout, strict: false)
        let head = try await walk.readHead()
        let limit = Int64((time.timeIntervalSince1970 * 1_000_000).rounded(.down))
        var lastAtOrBefore: LSN?
        var untimed: LSN?
        var firstTime: Int64?
        try await walk.walk(head: head) { checked in
            for record in checked.records where record.kind == .txCommit {
                guard let micros = record.commitTime(in: checked.piece.body) else {
                    untimed = record.lsn
                    continue
                }
                firstTime = firstTime ?? micros
                if micros > limit {
                    return false
                }
                lastAtOrBefore = record.lsn
                untimed = nil
            }
            return true
        }
        if let untimed {
            throw ArchiveError(
                .invalidArgument,
                "the transaction committed at LSN \(untimed) has no commit time (its log was written before segment format 2), so whether it was committed by \(Self.format(limit)) is unknown: restore by LSN",
                key: layout.headKey)
        }
        guard let lastAtOrBefore else {
            let first = firstTime.map { "; the first archived one was committed at \(Self.format($0))" } ?? ""
            throw ArchiveError(
                .notFound, "no archived transaction was committed at or before \(Self.format(limit))\(first)", key: layout.headKey)
        }
        return lastAtOrBefore
    }

    /// A commit time as ISO 8601 with microseconds, UTC.
    static func format(_ micros: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(micros) / 1_000_000))
    }
}

extension ArchivedRecord {
    /// The commit time a commit record carries (segment format 2), or `nil`.
    func commitTime(in body: [UInt8]) -> Int64? {
        let payload = (range.lowerBound + RecordFrame.headerSize)..<(range.upperBound - RecordFrame.trailerSize)
        return body.withUnsafeBytes { CommitTime.decode(UnsafeRawBufferPointer(rebasing: $0[payload])) }
    }
}
