import Foundation
import Testing
import WALTestSupport
import WriteAheadLog

/// Exhaustive damage to a real log on the real file system: every cut
/// inside the last transaction, every bit of a segment header, every bit
/// of every field of a record, in a sealed segment, in the middle of the
/// active one and in its last record. Strict recovery cuts a torn tail and
/// refuses everything else with the file and offset; salvage keeps the
/// valid prefix; neither ever crashes or returns a wrong event.
@Suite("Corruption sweeps on a real log")
struct CorruptionSweepTests {
    /// A temporary directory, removed when the value goes away.
    struct Transaction: Equatable, Sendable {
        var beginLSN: LSN
        var commitLSN: LSN
        var events: [CrashEvent]
    }

    /// A pristine log: a sealed first segment and an active last one, each
    /// with at least two transactions; the record layout as the inspector
    /// reports it.
    struct Pristine {
        let directory: TemporaryDirectory
        let transactions: [Transaction]
        let records: [RecordView]
        let segments: [String: [UInt8]]

        var sealedPath: String { joinPath(directory.path, SegmentID(1).fileName) }
        var activeID: SegmentID { records.last?.location.segment ?? .first }
        var activePath: String { joinPath(directory.path, activeID.fileName) }

        static func make() throws -> Pristine {
            let directory = TemporaryDirectory()
            let root = directory.path
            let transactions = try onThread {
                var transactions: [Transaction] = []
                let (wal, _, _) = try WAL<CrashEvent>.open(
                    directory: root, options: WALOptions(syncMode: .none, segmentTargetBytes: 600))
                for sequence in UInt32(0)..<8 {
                    let events = CrashEvent.transaction(writer: 0, sequence: sequence, count: 2, fillerSeed: 3)
                    let commit = try #require(try wal.commit(events))
                    transactions.append(Transaction(beginLSN: commit.beginLSN, commitLSN: commit.commitLSN, events: events))
                }
                try wal.close()
                return transactions
            }
            var records: [RecordView] = []
            _ = try WALInspector.scan(directory: directory.path) { records.append($0) }
            var segments: [String: [UInt8]] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasSuffix(".wal") {
                let path = joinPath(directory.path, name)
                segments[path] = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            }
            let pristine = Pristine(directory: directory, transactions: transactions, records: records, segments: segments)
            // The layout the sweeps assume.
            let batches = Dictionary(grouping: records.filter { $0.kind == .mutationBatch }, by: \.location.segment)
            guard segments.count >= 2, batches[.first, default: []].count >= 2, batches[pristine.activeID, default: []].count >= 2 else {
                throw WALError(.invalidArgument, "unexpected layout: \(segments.mapValues(\.count)), \(records.count) records")
            }
            return pristine
        }

        /// Writes the pristine segments back, with `path` replaced by `bytes`.
        func restore(replacing path: String? = nil, with bytes: [UInt8] = []) throws {
            for (segment, original) in segments {
                try Data(segment == path ? bytes : original).write(to: URL(fileURLWithPath: segment))
            }
            let quarantine = joinPath(directory.path, "quarantine")
            try? FileManager.default.removeItem(atPath: quarantine)
        }

        func replay(_ mode: RecoveryMode) throws -> (transactions: [Transaction], report: ReplayReport) {
            var transactions: [Transaction] = []
            let report = try WAL<CrashEvent>.replay(directory: directory.path, recoveryMode: mode) {
                transactions.append(Transaction(beginLSN: $0.beginLSN, commitLSN: $0.commitLSN, events: $0.events))
            }
            return (transactions, report)
        }
    }

    @Test("cutting the active segment anywhere inside the last transaction loses only that transaction")
    func truncateInsideLastTransaction() throws {
        let pristine = try Pristine.make()
        let active = try #require(pristine.segments[pristine.activePath])
        let lastBegin = try #require(pristine.records.last { $0.kind == .txBegin })
        let start = Int(lastBegin.location.offset)
        let kept = Array(pristine.transactions.dropLast())
        let boundaries = [start] + pristine.records.filter { $0.location.segment == pristine.activeID && Int($0.location.offset) >= start }
            .map { Int($0.location.offset) + $0.size }
        // Mapped segments keep their preallocated zero tail after close, so
        // the written end is where the last record ends, not the file size.
        let end = try #require(boundaries.last)
        for cut in start..<end {
            try pristine.restore(replacing: pristine.activePath, with: Array(active[0..<cut]))
            let events: [CrashEvent]
            let report: ReplayReport
            let root = pristine.directory.path
            (events, report) = try onThread {
                // Write calls, so the file size afterwards shows exactly where
                // open cut (mapped segments would preallocate it again).
                let (wal, events, report) = try WAL<CrashEvent>.open(
                    directory: root, options: WALOptions(syncMode: .none, writeMode: .writeCalls))
                try wal.close()
                return (events, report)
            }
            #expect(events == kept.flatMap(\.events), "cut at \(cut)")
            // A cut between records leaves whole records of an incomplete
            // transaction (dropped, kept on disk); a cut inside one is a torn
            // tail, cut back to the last whole record.
            let wholeRecordsEnd = boundaries.last { $0 <= cut } ?? start
            #expect((report.tornTail != nil) == !boundaries.contains(cut), "cut at \(cut)")
            let after = try pristine.replay(.strict)
            #expect(after.transactions == kept && after.report.tornTail == nil, "cut at \(cut)")
            #expect(try FileManager.default.attributesOfItem(atPath: pristine.activePath)[.size] as? Int == wholeRecordsEnd, "cut at \(cut)")
        }
    }

    @Test("a flipped bit anywhere in a segment header is refused by strict recovery and set aside by salvage", arguments: ["sealed", "active"])
    func headerBitFlips(segment: String) throws {
        let pristine = try Pristine.make()
        let path = segment == "sealed" ? pristine.sealedPath : pristine.activePath
        let original = try #require(pristine.segments[path])
        let activeBase = try #require(pristine.records.first { $0.location.segment == pristine.activeID }).lsn
        let before = segment == "sealed" ? [] : pristine.transactions.filter { $0.commitLSN < activeBase }
        for bit in 0..<(SegmentHeader.size * 8) {
            var bytes = original
            bytes[bit / 8] ^= 1 << (bit % 8)
            try pristine.restore(replacing: path, with: bytes)
            let error = #expect(throws: WALError.self, "bit \(bit)") { try pristine.replay(.strict) }
            #expect(error?.code == .corruption, "bit \(bit)")
            #expect(error?.path == path, "bit \(bit)")
            let salvage = try pristine.replay(.salvage)
            #expect(salvage.transactions == before, "bit \(bit)")
            #expect(salvage.report.damage?.path == path, "bit \(bit)")
        }
    }

    enum Field: String, CaseIterable, Sendable {
        case length, kind, lsn, txBeginLSN, payload, checksum

        /// The byte range of the field inside a record of `size` bytes.
        func range(recordSize size: Int) -> Range<Int> {
            switch self {
            case .length: 0..<4
            case .kind: 4..<5
            case .lsn: 5..<13
            case .txBeginLSN: 13..<21
            case .payload: 21..<(size - 4)
            case .checksum: (size - 4)..<size
            }
        }
    }

    enum Position: String, CaseIterable, Sendable {
        /// The second batch record of the first (sealed) segment.
        case sealed
        /// The first batch record of the active segment, valid records after it.
        case activeMiddle
        /// The last record of the active segment: the last commit marker.
        case activeLast
    }

    static let fieldCases: [(Position, Field)] = Position.allCases.flatMap { position in
        Field.allCases.compactMap { field in
            // Commit markers carry no payload.
            position == .activeLast && field == .payload ? nil : (position, field)
        }
    }

    @Test("every flipped bit of every record field: a torn last record is cut, anything else refused by strict, salvage keeps the valid prefix", arguments: fieldCases)
    func recordBitFlips(position: Position, field: Field) throws {
        let pristine = try Pristine.make()
        let record: RecordView
        switch position {
        case .sealed: record = try #require(pristine.records.filter { $0.location.segment == .first && $0.kind == .mutationBatch }.dropFirst().first)
        case .activeMiddle: record = try #require(pristine.records.first { $0.location.segment == pristine.activeID && $0.kind == .mutationBatch })
        case .activeLast: record = try #require(pristine.records.last)
        }
        let path = record.location.path
        let original = try #require(pristine.segments[path])
        let offset = Int(record.location.offset)
        // Transactions wholly before the damaged record survive salvage.
        let before = pristine.transactions.filter { $0.commitLSN < record.lsn }
        let range = field.range(recordSize: record.size)
        var flips = 0
        for byte in range {
            for bit in 0..<8 {
                var bytes = original
                bytes[offset + byte] ^= 1 << bit
                try pristine.restore(replacing: path, with: bytes)
                let label = "\(position) \(field) byte \(byte) bit \(bit)"
                flips += 1

                let salvage = try pristine.replay(.salvage)
                #expect(salvage.transactions == before, "\(label): salvage returned \(salvage.transactions.count) transactions")
                if position == .activeLast {
                    // A torn tail: strict cuts the last transaction and opens.
                    let strict = try pristine.replay(.strict)
                    #expect(strict.transactions == before, "\(label)")
                    #expect(strict.report.tornTail?.offset == UInt64(offset), "\(label)")
                    #expect(salvage.report.damage == nil && salvage.report.tornTail?.offset == UInt64(offset), "\(label)")
                } else {
                    let error = #expect(throws: WALError.self, "\(label)") { try pristine.replay(.strict) }
                    #expect(error?.path == path && error?.offset == UInt64(offset), "\(label): \(String(describing: error))")
                    #expect(salvage.report.damage?.path == path && salvage.report.damage?.offset == UInt64(offset), "\(label)")
                }
            }
        }
        #expect(flips == range.count * 8)
    }
}
