import WriteAheadLog

/// The full check behind `walctl verify`: every segment header, every
/// record's framing and checksum, LSN order and the transaction rules (all
/// as strict replay checks them), plus what replay cannot see from one
/// segment at a time: segments missing from the middle of the log.
///
/// Strict replay stops at the first problem, so each run names the first
/// one; a salvage-mode walk then says where the valid data ends and what
/// `repair --salvage` would set aside.
struct Verification {
    let directory: LogDirectory
    private(set) var findings: [Finding] = []
    /// What the walk read: the strict report, or the salvage one on damage.
    let report: ReplayReport

    /// Runs every check. Throws only when reading fails (I/O), never for damage.
    init(_ directory: LogDirectory) throws {
        self.directory = directory
        let scan = LogScan(directory: directory, label: "verifying")
        let (report, damage) = try scan.strictThenSalvage()
        self.report = report
        if let damage {
            findings.append(Self.finding(for: damage))
            if let stop = report.damage {
                findings.append(validPrefixNote(stop))
            }
        }
        if let torn = report.tornTail {
            let lastLSN = report.segments.first { $0.id == torn.segment }?.lastLSN ?? report.maxLSN
            findings.append(
                Finding(
                    severity: .tornTail, code: "torn-tail", path: torn.path, offset: torn.offset, lsn: lastLSN,
                    message:
                        "\(torn.fileBytes - torn.offset) bytes after the last valid record (\(torn.reason)); what a crash mid-write leaves: the next open cuts them, or run `walctl repair`"
                ))
        }
        checkContinuity()
        addNotes()
    }

    /// 0 clean, 1 torn tail only, 2 damage.
    var status: ExitStatus {
        if findings.contains(where: { $0.severity == .error }) { return .damaged }
        if findings.contains(where: { $0.severity == .tornTail }) { return .tornTail }
        return .success
    }

    /// One word for the summary line.
    var verdict: String {
        switch status {
        case .success: "clean"
        case .tornTail: "torn tail only"
        default: "damaged"
        }
    }

    private static func finding(for error: WALError) -> Finding {
        Finding(
            severity: .error, code: error.code.rawValue, path: error.path, offset: error.offset, lsn: error.lsn,
            message: error.message)
    }

    private func validPrefixNote(_ stop: DamageReport) -> Finding {
        let aside = directory.segments.filter { $0.id >= stop.segment }.map { segment in
            segment.id == stop.segment && stop.offset >= UInt64(SegmentHeader.size)
                ? "\(segment.name) (its valid prefix stays)" : segment.name
        }
        return Finding(
            severity: .note, code: "valid-prefix", path: stop.path, offset: stop.offset, lsn: stop.lastGoodLSN,
            message:
                "valid data ends here, after LSN \(stop.lastGoodLSN); `walctl repair --salvage` would set aside into quarantine/: \(aside.joined(separator: ", "))"
        )
    }

    /// Segment ids grow by one at each rotation and the next segment starts
    /// at the LSN after the last record of the one before, and truncation
    /// only removes segments from the front. So an id that jumps, or a base
    /// LSN that skips LSNs, means a segment file went missing from the
    /// middle: the log would open, and silently lack those transactions.
    private mutating func checkContinuity() {
        let summaries = report.segments
        for (previous, next) in zip(summaries, summaries.dropFirst()) {
            if next.id.rawValue != previous.id.rawValue + 1 {
                findings.append(
                    Finding(
                        severity: .error, code: "missing-segment", path: next.path, offset: 0, lsn: next.baseLSN,
                        message:
                            "segment ids jump from \(previous.id) to \(next.id): segment file(s) between them are missing"
                    ))
            } else if !previous.lastLSN.isNone,
                next.baseLSN != SegmentHeader.successorBaseLSN(base: previous.baseLSN, lastLSN: previous.lastLSN)
            {
                findings.append(
                    Finding(
                        severity: .error, code: "lsn-gap", path: next.path, offset: UInt64(SegmentHeader.Field.baseLSN), lsn: next.baseLSN,
                        message:
                            "base LSN \(next.baseLSN) does not follow LSN \(previous.lastLSN), the last record of \(previous.id.fileName): LSNs \(previous.lastLSN.rawValue + 1)...\(next.baseLSN.rawValue - 1) are missing"
                    ))
            }
        }
    }

    private mutating func addNotes() {
        if case .held(let pid) = directory.lockHolder {
            findings.append(
                Finding(
                    severity: .note, code: "locked", path: directory.path, offset: nil, lsn: nil,
                    message:
                        "a live process\(pid.map { " (pid \($0))" } ?? "") holds the lock: records it is writing now may look like a torn tail"
                ))
        }
        for name in directory.temporaryFiles {
            findings.append(
                Finding(
                    severity: .note, code: "stale-temporary-file", path: joinPath(directory.path, name), offset: nil,
                    lsn: nil,
                    message: "a segment a crash left half-created; it never held records, and the next open removes it"))
        }
        if report.damage == nil, let last = report.segments.last, last.isSealed,
            last.id == directory.segments.last?.id
        {
            findings.append(
                Finding(
                    severity: .note, code: "last-segment-sealed", path: last.path, offset: nil, lsn: last.lastLSN,
                    message: "the last segment is sealed (a crash between sealing it and creating the next); the next open starts a new segment"))
        }
        // After damage, the transaction the walk stopped in is incomplete
        // only because of where it stopped: not worth a note of its own.
        if report.damage == nil, report.transactionsIncomplete > 0 {
            findings.append(
                Finding(
                    severity: .note, code: "incomplete-transactions", path: nil, offset: nil, lsn: nil,
                    message:
                        "\(report.transactionsIncomplete) transaction(s) have no commit or abort by the end of the log; replay drops them"
                ))
        }
        if directory.hasQuarantine {
            findings.append(
                Finding(
                    severity: .note, code: "quarantine", path: joinPath(directory.path, "quarantine"), offset: nil,
                    lsn: nil, message: "salvage set damaged segments aside here before; they are kept, never read"))
        }
        if directory.hasSuperseded {
            findings.append(
                Finding(
                    severity: .note, code: "superseded", path: joinPath(directory.path, "superseded"), offset: nil,
                    lsn: nil,
                    message:
                        "the log was once opened with a snapshot newer than its end and continued above it; the older segments are kept here, never read"
                ))
        }
    }
}
