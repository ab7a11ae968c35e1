import WriteAheadLog

/// What `walctl repair` will do to a log, worked out from read-only walks
/// before anything is touched, so a dry run and a real run say the same.
///
/// A strict walk finds a torn tail, or the first damage. Without
/// `--salvage`, damage that is not a torn tail is refused: only an operator
/// may decide to set data aside. With it, a salvage walk says where the
/// valid data ends, and every segment from there on is planned into
/// `quarantine/` exactly as the library's salvage open moves them.
struct RepairPlan {
    let directory: LogDirectory
    /// The temp-file moves walctl makes itself, before calling the library.
    private(set) var temporaryFileSteps: [RepairStep] = []
    /// What the library's repair will do.
    private(set) var librarySteps: [RepairStep] = []
    /// The recovery mode to hand to the library.
    let mode: RecoveryMode

    /// - Throws: ``ExitStatus/damaged`` when the log has damage that is not
    ///   a torn tail and `salvage` is off; I/O failures.
    init(_ directory: LogDirectory, salvage: Bool) throws {
        self.directory = directory
        mode = salvage ? .salvage : .strict
        var quarantine = QuarantineFolder(logDirectory: directory.path)
        for name in directory.temporaryFiles {
            temporaryFileSteps.append(
                .moveTemporaryFile(path: joinPath(directory.path, name), to: quarantine.reserveName(for: name)))
        }

        let (report, damage) = try LogScan(directory: directory, label: "planning").strictThenSalvage()
        var remaining = report.segments
        if let damage {
            guard salvage, let stop = report.damage else {
                throw WalctlFailure(
                    .damaged,
                    "refusing to repair: \(damage). This is not a torn tail; `walctl repair --salvage` would set the damaged segment and every later one aside into quarantine/ (nothing is deleted); `walctl verify` shows where the valid data ends")
            }
            remaining = report.segments.filter { $0.id < stop.segment }
            for segment in directory.segments where segment.id >= stop.segment {
                let destination = quarantine.reserveName(for: segment.name)
                if segment.id == stop.segment, stop.offset >= UInt64(SegmentHeader.size) {
                    librarySteps.append(
                        .keepValidPrefix(path: segment.path, copy: destination, offset: stop.offset, lastGoodLSN: stop.lastGoodLSN))
                    if let summary = report.segments.first(where: { $0.id == segment.id }) { remaining.append(summary) }
                } else {
                    librarySteps.append(.moveSegment(path: segment.path, to: destination))
                }
            }
        }
        if let torn = report.tornTail {
            let lastLSN = report.segments.first { $0.id == torn.segment }?.lastLSN ?? report.maxLSN
            librarySteps.append(
                .cutTornTail(path: torn.path, fileBytes: torn.fileBytes, offset: torn.offset, lastLSN: lastLSN, reason: torn.reason))
        }
        // Only when the library is called anyway: starting a segment after a
        // sealed one is what every open does, not a repair of its own.
        if !librarySteps.isEmpty, remaining.last?.isSealed ?? true {
            let id = remaining.last.flatMap { try? $0.id.successor() } ?? .first
            librarySteps.append(
                .createSegment(path: joinPath(directory.path, id.fileName), baseLSN: LSN(report.maxLSN.rawValue + 1)))
        }
    }

    /// Every planned step, in the order a real run takes them.
    var steps: [RepairStep] { temporaryFileSteps + librarySteps }

    /// Whether the library's repair needs to run at all.
    var needsLibraryRepair: Bool { !librarySteps.isEmpty }
}
