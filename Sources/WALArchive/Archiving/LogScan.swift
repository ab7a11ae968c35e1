import WriteAheadLog

/// The records of a log directory after a given LSN, up to the last point
/// where no transaction is open, framed exactly as on disk.
struct LogScan: Sendable {
    struct Record: Sendable {
        var segment: SegmentID
        var segmentPath: String
        var lsn: LSN
        var bytes: [UInt8]
    }

    /// The records to ship, in LSN order.
    var records: [Record] = []
    /// Every segment the walk saw, by id.
    var segments: [SegmentID: SegmentSummary] = [:]
    /// The first and last LSN of a valid record in the log (`.none` if empty).
    var firstLSN = LSN.none
    var lastLSN = LSN.none
    /// The framed bytes of the records from `compareFrom` through `after`,
    /// to compare with the archive's newest piece.
    var compared: [UInt8] = []

    /// Walks the log with ``WALInspector`` (no lock, no writes; a torn or
    /// half-written tail ends the walk) and keeps the records after `after`
    /// that end at a transaction boundary.
    static func read(directory: String, after: LSN, compareFrom: LSN? = nil) throws -> LogScan {
        var scan = LogScan()
        var pending: [Record] = []
        var tracker = TransactionTracker()
        let report = try WALInspector.scan(directory: directory) { record in
            if scan.firstLSN.isNone { scan.firstLSN = record.lsn }
            if let error = tracker.visit(kind: record.kind, lsn: record.lsn, txBeginLSN: record.txBeginLSN) {
                throw ArchiveError(
                    .corruption, "the log breaks a transaction rule at LSN \(error.lsn): \(error.rule)", path: record.location.path)
            }
            if let compareFrom, record.lsn >= compareFrom, record.lsn <= after {
                scan.compared += ArchivedRecord.frame(
                    kind: record.kind, lsn: record.lsn, txBeginLSN: record.txBeginLSN, payload: record.payload)
            }
            guard record.lsn > after else { return }
            pending.append(
                Record(
                    segment: record.location.segment, segmentPath: record.location.path, lsn: record.lsn,
                    bytes: ArchivedRecord.frame(kind: record.kind, lsn: record.lsn, txBeginLSN: record.txBeginLSN, payload: record.payload)))
            // Only whole transactions leave: what follows the last boundary
            // is a transaction still being written, or one that never ends.
            if tracker.isAtBoundary {
                scan.records += pending
                pending.removeAll()
            }
        }
        scan.lastLSN = report.maxLSN
        for summary in report.segments { scan.segments[summary.id] = summary }
        return scan
    }
}
