import WriteAheadLog

/// Walks a checked log directory through the library's read-only inspector,
/// drawing a progress line on a terminal.
///
/// `WALInspector.scan` takes no lock and writes nothing, so every read
/// command can run beside a live process. Records a live process is writing
/// at that moment may show as a torn tail; callers say so when the lock is held.
struct LogScan {
    let directory: LogDirectory
    /// What the progress line calls the work ("verifying").
    var label = "scanning"
    /// Whether a progress line may be drawn (on a terminal stderr only);
    /// off where results stream to the same terminal while the scan runs.
    var showsProgress = true

    /// Walks every record in LSN order.
    ///
    /// - Parameter mode: `.strict` throws the first problem other than a
    ///   torn tail; `.salvage` stops there and reports it in `damage`.
    ///   Neither moves nor changes anything: that only happens in `repair`.
    /// - Throws: the library's `WALError` for damage (strict) or I/O; an
    ///   error thrown by `visit` is passed through untouched.
    func run(mode: RecoveryMode, visit: (RecordView) throws -> Void = { _ in }) throws -> ReplayReport {
        var bytesBefore: [SegmentID: UInt64] = [:]
        var total: UInt64 = 0
        for segment in directory.segments {
            bytesBefore[segment.id] = total
            total += segment.bytes
        }
        var progress = ProgressLine(label: label, totalBytes: total, enabled: showsProgress && Console.stderrIsTerminal)
        defer { progress.finish() }
        return try WALInspector.scan(directory: directory.path, recoveryMode: mode) { record in
            progress.update(bytes: (bytesBefore[record.location.segment] ?? 0) + record.location.offset)
            try visit(record)
        }
    }

    /// Walks in strict mode; on damage, walks again in salvage mode to learn
    /// where the valid data ends.
    ///
    /// - Returns: the strict report when the log is sound, otherwise the
    ///   salvage report with the strict error beside it.
    /// - Throws: I/O and other errors that are not damage.
    func strictThenSalvage() throws -> (report: ReplayReport, damage: WALError?) {
        do {
            return (try run(mode: .strict), nil)
        } catch let error as WALError where error.isDamage {
            return (try run(mode: .salvage), error)
        }
    }
}

extension WALError {
    /// Whether this error means the bytes or the structure of the log are
    /// wrong, rather than that reading them failed.
    var isDamage: Bool {
        switch code {
        case .corruption, .structural, .tooLarge, .eventDecoding: true
        default: false
        }
    }
}
