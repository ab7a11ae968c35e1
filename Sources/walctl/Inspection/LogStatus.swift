import WriteAheadLog

/// Everything `walctl status` shows about a log directory, gathered by one
/// read-only walk.
///
/// The walk runs in salvage mode (which reads like strict mode but stops at
/// damage instead of throwing) so a damaged log still shows every segment
/// up to the damage, and where it is.
struct LogStatus {
    let directory: LogDirectory
    let report: ReplayReport
    let lockHolder: LockHolder

    init(_ directory: LogDirectory) throws {
        self.directory = directory
        self.lockHolder = directory.lockHolder
        self.report = try LogScan(directory: directory, label: "reading").run(mode: .salvage)
    }

    /// Segments on disk that the walk did not reach because damage stopped it first.
    var unreadSegments: [SegmentFile] {
        let read = Set(report.segments.map(\.id))
        return directory.segments.filter { !read.contains($0.id) }
    }

    /// The highest LSN of any valid record, `.none` for an empty log.
    var highestLSN: LSN { report.maxLSN }

    /// The LSN the next record gets once the log is opened: one past the
    /// highest, or the active segment's base LSN if that is higher.
    var nextLSN: LSN {
        let afterHighest = LSN(report.maxLSN.rawValue &+ 1)
        guard let last = report.segments.last else { return afterHighest }
        return max(afterHighest, last.baseLSN)
    }

    /// Transactions whose commit record was read.
    var committed: Int { report.transactionsReplayed + report.transactionsBelowFence }
}
