#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where a record sits on disk.
public struct RecordLocation: Sendable, Equatable {
    public var segment: SegmentID
    public var path: String
    public var offset: UInt64
}

/// An error raised by the consumer of a walk: passed through untouched,
/// never mistaken for damage.
struct ConsumerError: Error {
    let underlying: any Error
}

/// Walks every record of every segment in LSN order and enforces the rules
/// that concern records alone: headers, framing, checksums, base LSNs and
/// strictly increasing LSNs. It tells a torn tail from damage.
///
/// A rule broken by the visitor (a `WALError` it throws) counts as damage at
/// that record, so salvage mode stops there like at a bad checksum.
struct LogWalker {
    let directory: SegmentDirectory
    let mode: RecoveryMode

    /// Progress callbacks get (bytes scanned, total bytes).
    var progress: ((ReplayProgress) -> Void)?
    /// Set for readers that do not hold the directory lock (`WAL.replay`,
    /// `WALInspector`): when another handle holds it, the active segment's
    /// tail may be in the middle of a write. See `isBeingWritten`.
    var readsWithoutLock = false
    /// Set by `open` to its fence: a sealed segment followed by one whose
    /// base LSN is at most this + 1 holds only records the snapshot covers,
    /// and is not read. Tools leave it nil and read every record.
    var skipsSegmentsAtOrBelow: LSN?
    /// Set by `open` (with a fence) to where the record at or below the
    /// fence that a snapshot noted starts: in that segment, reading begins
    /// right after it. See `scannerAfter(_:in:fileSize:header:)`.
    var fencePosition: LogPosition?

    func walk(
        into report: inout ReplayReport,
        _ visit: (RecordFrame, UnsafeRawBufferPointer, RecordLocation) throws -> Void
    ) throws {
        let entries = try directory.list()
        let fileSystem = directory.fileSystem
        var lastLSN = LSN.none
        defer {
            report.maxLSN = lastLSN
            if fencePosition != nil, report.fencePosition == .notGiven { report.fencePosition = .notNeeded }
        }
        var previousBase: LSN?
        /// The segment read just before: its id, base LSN and last LSN (none if empty).
        var previous: (id: SegmentID, base: LSN, lastLSN: LSN)?
        var files: [(SegmentEntry, any StorageFile, UInt64)] = []
        var totalBytes: UInt64 = 0
        var skippedBytes: UInt64 = 0
        for entry in entries {
            let file = try fileSystem.openFile(entry.path, mode: .readOnly)
            let size = try file.size()
            totalBytes += size
            files.append((entry, file, size))
        }

        for (index, (entry, file, fileSize)) in files.enumerated() {
            let isLast = index == files.count - 1
            var summary = SegmentSummary(
                id: entry.id, path: entry.path, baseLSN: .none, isSealed: false, firstLSN: .none, lastLSN: .none,
                fileBytes: fileSize, validBytes: UInt64(SegmentHeader.size), records: 0)
            func damage(_ offset: UInt64, _ reason: String, lsn: LSN? = nil, code: WALError.Code = .corruption) throws {
                if summary.baseLSN != .none || summary.records > 0 { report.segments.append(summary) }
                guard mode == .salvage else {
                    throw WALError(code, reason, operation: "replay", path: entry.path, offset: offset, lsn: lsn ?? lastLSN)
                }
                report.damage = DamageReport(
                    segment: entry.id, path: entry.path, offset: offset, lastGoodLSN: lastLSN, reason: reason)
            }

            let header: SegmentHeader
            do {
                header = try directory.readHeader(of: file)
            } catch let error as WALError where error.code == .corruption {
                try damage(error.offset ?? 0, "bad segment header: \(error.message)")
                return
            }
            summary.baseLSN = header.baseLSN
            summary.isSealed = header.isSealed
            summary.formatVersion = header.version
            if let previousBase, header.baseLSN <= previousBase {
                try damage(UInt64(SegmentHeader.Field.baseLSN), "base LSN \(header.baseLSN) is not above the previous segment's base LSN \(previousBase)", code: .structural)
                return
            }
            // Truncation removes segments only from the front, and rotation
            // starts a segment right after the last record: a hole in the
            // ids or the LSNs is a lost segment, not something to skip.
            if let previous, entry.id.rawValue != previous.id.rawValue + 1 {
                try damage(0, "segment \(previous.id.rawValue + 1) is missing: the log jumps from segment \(previous.id) to \(entry.id)", code: .structural)
                return
            }
            if header.baseLSN <= lastLSN {
                try damage(UInt64(SegmentHeader.Field.baseLSN), "base LSN \(header.baseLSN) is not above the previous record's LSN \(lastLSN)", code: .structural)
                return
            }
            // Adjacent segments chain (SegmentHeader.successorBaseLSN);
            // truncation leaves no gap between adjacent ids.
            if let previous, previous.id.rawValue + 1 == entry.id.rawValue {
                let expected = SegmentHeader.successorBaseLSN(base: previous.base, lastLSN: previous.lastLSN)
                if header.baseLSN != expected {
                    let held = previous.lastLSN == .none ? "holds no record" : "ends at LSN \(previous.lastLSN)"
                    try damage(
                        UInt64(SegmentHeader.Field.baseLSN),
                        "base LSN \(header.baseLSN) does not follow segment \(previous.id), which \(held): LSNs \(expected.rawValue)...\(header.baseLSN.rawValue - 1) are missing, the earlier segment was cut short")
                    return
                }
            }
            previousBase = header.baseLSN

            if let fence = skipsSegmentsAtOrBelow, header.isSealed, !isLast,
                let nextBase = try? directory.readHeader(of: files[index + 1].1).baseLSN,
                nextBase > header.baseLSN, nextBase.rawValue - 1 <= fence.rawValue
            {
                // Rotation starts a segment right after the last record and
                // a sealed segment holds at least one, so its records are
                // base...nextBase - 1: all covered. The next segment's own
                // base is checked against them as for a segment read.
                summary.firstLSN = header.baseLSN
                summary.lastLSN = LSN(nextBase.rawValue - 1)
                summary.validBytes = fileSize
                summary.skippedBelowFence = true
                lastLSN = summary.lastLSN
                report.segmentsSkippedBelowFence += 1
                report.segments.append(summary)
                previous = (entry.id, header.baseLSN, summary.lastLSN)
                skippedBytes += fileSize
                progress?(ReplayProgress(scannedBytes: report.bytesScanned + skippedBytes, totalBytes: totalBytes))
                continue
            }

            var scanner = SegmentScanner(file: file, fileSize: fileSize)
            var skippedHere: UInt64 = 0
            if let position = fencePosition, position.segment == entry.id {
                switch try scannerAfter(position, in: file, fileSize: fileSize, header: header) {
                case .success(let after):
                    // As for a skipped segment: what lies before is at or
                    // below the fence, so the snapshot holds it.
                    scanner = after
                    summary.firstLSN = header.baseLSN
                    summary.lastLSN = position.lsn
                    summary.validBytes = after.position
                    lastLSN = position.lsn
                    skippedHere = after.position - UInt64(SegmentHeader.size)
                    skippedBytes += skippedHere
                    report.fencePosition = .used(skippedBytes: skippedHere)
                    progress?(ReplayProgress(scannedBytes: report.bytesScanned + skippedBytes, totalBytes: totalBytes))
                case .failure(let refusal):
                    report.fencePosition = .ignored(reason: refusal.reason)
                }
            }
            scan: while true {
                let offset = scanner.position
                let step: ScanStep
                do {
                    step = try scanner.next { frame, bytes in
                        let location = RecordLocation(segment: entry.id, path: entry.path, offset: offset)
                        guard frame.lsn >= header.baseLSN else {
                            throw WALError(.structural, "record LSN \(frame.lsn) is below the segment's base LSN \(header.baseLSN)", lsn: frame.lsn)
                        }
                        guard frame.lsn > lastLSN else {
                            throw WALError(.structural, "record LSN \(frame.lsn) is not above the previous LSN \(lastLSN)", lsn: frame.lsn)
                        }
                        try visit(frame, bytes, location)
                        lastLSN = frame.lsn
                        if summary.firstLSN == .none { summary.firstLSN = frame.lsn }
                        summary.lastLSN = frame.lsn
                        summary.records += 1
                    }
                } catch let error as WALError where error.code != .io {
                    try damage(offset, error.message, lsn: error.lsn, code: error.code)
                    return
                }
                switch step {
                case .record:
                    summary.validBytes = scanner.position
                    continue scan
                case .end:
                    break scan
                case .zeroTail(let offset) where isLast && !header.isSealed:
                    // Zero bytes to the end of the active segment: space the
                    // writer preallocated and has not reached. A clean end.
                    summary.validBytes = offset
                    break scan
                case .zeroTail(let offset), .damaged(let offset, _):
                    let reason: String
                    if case .damaged(_, let why) = step { reason = why } else { reason = "zero bytes after the last record" }
                    if isLast && !header.isSealed {
                        let fileBytes = scanner.fileSize
                        let ahead = try SegmentScanner.lookAhead(
                            in: file, fileSize: fileBytes, after: offset, lastLSN: lastLSN, baseLSN: header.baseLSN)
                        if ahead.outcome != .nothingValid, try isBeingWritten(file, at: offset, above: lastLSN) {
                            report.tornTail = TornTail(
                                segment: entry.id, path: entry.path, offset: offset, fileBytes: fileBytes,
                                reason: "a write in progress: the live log's writer is changing these bytes (\(reason))")
                            break scan
                        }
                        switch ahead.outcome {
                        case .validRecord(let later):
                            try damage(offset, "\(reason); a valid record follows at offset \(later), so this is not a torn tail")
                            return
                        case .undecided(let checkedUpTo):
                            try damage(
                                offset,
                                "\(reason); valid records could not be ruled out after it (candidates up to offset \(checkedUpTo) checked within a budget of \(ahead.budget) checksummed bytes), so it is not cut as a torn tail")
                            return
                        case .nothingValid:
                            report.tornTail = TornTail(
                                segment: entry.id, path: entry.path, offset: offset, fileBytes: fileBytes, reason: reason)
                            break scan
                        }
                    }
                    let which = header.isSealed ? "sealed segment" : "segment that is not the last"
                    try damage(offset, "\(reason) in a \(which)")
                    return
                }
            }
            report.bytesScanned += fileSize - skippedHere
            report.segments.append(summary)
            previous = (entry.id, header.baseLSN, summary.lastLSN)
            progress?(ReplayProgress(scannedBytes: report.bytesScanned + skippedBytes, totalBytes: totalBytes))
        }
    }

    /// Why a fence position does not match the log.
    struct PositionRefusal: Error {
        var reason: String
    }

    /// A scanner positioned right after the record `position` names, once
    /// that record is found whole (checksum and framing) with exactly its
    /// LSN, in a segment whose base is at or below it and not above the
    /// fence. LSNs only grow within a segment, so everything before it is
    /// at or below the fence. Anything else (the position of another log,
    /// of bytes cut since, or a wrong LSN) refuses it, and the caller reads
    /// the segment from its start.
    private func scannerAfter(
        _ position: LogPosition, in file: any StorageFile, fileSize: UInt64, header: SegmentHeader
    ) throws -> Result<SegmentScanner, PositionRefusal> {
        if let fence = skipsSegmentsAtOrBelow, position.lsn > fence {
            return .failure(PositionRefusal(reason: "it names LSN \(position.lsn), above the fence \(fence)"))
        }
        guard position.lsn >= header.baseLSN else {
            return .failure(PositionRefusal(reason: "it names LSN \(position.lsn), below the segment's base LSN \(header.baseLSN)"))
        }
        guard position.offset >= UInt64(SegmentHeader.size), position.offset < fileSize else {
            return .failure(PositionRefusal(reason: "offset \(position.offset) is outside the segment's records (the file has \(fileSize) bytes)"))
        }
        var scanner = SegmentScanner(file: file, fileSize: fileSize, from: position.offset)
        var found: LSN?
        let step = try scanner.next { frame, _ in found = frame.lsn }
        guard case .record = step, let found else {
            return .failure(PositionRefusal(reason: "no valid record starts at offset \(position.offset)"))
        }
        guard found == position.lsn else {
            return .failure(PositionRefusal(reason: "the record at offset \(position.offset) has LSN \(found), not \(position.lsn)"))
        }
        return .success(scanner)
    }

    /// For a reader without the lock, while another handle holds it: whether
    /// the bytes at `offset` of the active segment are still being written.
    ///
    /// The writer copies a group of records into the segment while readers
    /// may be reading it, and a copy need not proceed front to back: a
    /// reader can see a later record whole and an earlier one half written,
    /// which reads as damage followed by a valid record. Those bytes change,
    /// or complete into a valid record, within moments; damage on disk does
    /// neither. So the record at `offset` is parsed again, and if it is
    /// still invalid, read again after short pauses: a valid record or
    /// changed bytes mean a write in progress, which this reader reports as
    /// a torn tail (it stops there; nothing it returned is affected). Real
    /// damage costs live readers about `pauses` × `pause` before it is
    /// reported. `open` holds the lock itself and never asks.
    private func isBeingWritten(_ file: any StorageFile, at offset: UInt64, above lastLSN: LSN) throws -> Bool {
        guard readsWithoutLock, directory.fileSystem.isDirectoryLocked(directory.root) else { return false }
        let pauses = 5
        let pause = Duration.milliseconds(20)
        var seen = try Self.fingerprint(file, at: offset)
        for attempt in 0...pauses {
            var scanner = SegmentScanner(file: file, fileSize: try file.size(), from: offset)
            var completed = false
            if case .record = try scanner.next({ frame, _ in completed = frame.lsn > lastLSN }), completed { return true }
            guard attempt < pauses else { break }
            let (seconds, attoseconds) = pause.components
            usleep(useconds_t(seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
            let now = try Self.fingerprint(file, at: offset)
            if now != seen { return true }
            seen = now
        }
        return false
    }

    /// The file's size and the first 4 KiB at `offset`: what a write in progress changes.
    private static func fingerprint(_ file: any StorageFile, at offset: UInt64) throws -> (UInt64, [UInt8]) {
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = try bytes.withUnsafeMutableBytes { try file.read(into: $0, at: offset) }
        return (try file.size(), Array(bytes.prefix(count)))
    }
}
