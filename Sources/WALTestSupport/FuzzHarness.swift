import WriteAheadLog

/// What the fuzzer checks, shared by the libFuzzer entry point (`Fuzz/`)
/// and the regression tests that replay what it found.
///
/// The first byte picks a mode:
/// - 0, records: the bytes are a segment's records after a valid header.
/// - 1, directory image: the bytes are split into up to four files with
///   segment (and non-segment) names, each raw or behind a valid header.
/// - 2, damaged log: the bytes drive a real log (commits, aborts, open
///   transactions, small segments), then damage it (bit flips, byte runs,
///   truncations, junk appended).
///
/// In every mode the image is replayed in strict and salvage mode and
/// opened in both; the invariants are: nothing crashes; salvage never
/// refuses; when strict accepts, salvage returns the same transactions and
/// no damage; after a successful open a strict replay succeeds, finds no
/// torn tail and returns what the open returned. In mode 2 every returned
/// transaction must be one that was committed, byte for byte, at its LSNs,
/// and salvage must return a prefix of the commit order: never silently
/// wrong events.
package enum WALFuzzHarness {
    package struct Violation: Error, CustomStringConvertible {
        package var description: String
    }

    static let directory = "/wal"

    /// One committed transaction, as built or as replayed.
    struct Transaction: Equatable {
        var beginLSN: LSN
        var commitLSN: LSN
        var events: [CrashEvent]
    }

    package static func run(_ data: [UInt8]) throws(Violation) {
        var input = FuzzInput(data)
        switch input.byte() % 3 {
        case 0: try records(&input)
        case 1: try directoryImage(&input)
        default: try damagedLog(&input)
        }
    }

    // MARK: Modes

    private static func records(_ input: inout FuzzInput) throws(Violation) {
        let records = input.rest()
        _ = try? records.withUnsafeBytes { try SegmentHeader(parsing: $0) }
        let image = ["0000000001.wal": SegmentHeader(baseLSN: .first).bytes + records]
        try check(image, committed: nil)
    }

    private static func directoryImage(_ input: inout FuzzInput) throws(Violation) {
        var image: [String: [UInt8]] = [:]
        let count = 1 + Int(input.byte() % 4)
        for _ in 0..<count {
            let nameChoice = input.byte()
            let name: String
            switch nameChoice % 8 {
            case 6: name = SegmentID(UInt64(nameChoice % 5) + 1).fileName + ".tmp"
            case 7: name = "notes.txt"
            default: name = SegmentID(UInt64(nameChoice % 6) + 1).fileName
            }
            let length = Int(input.byte()) * 4
            var bytes = input.bytes(length)
            if input.byte() % 2 == 0 {
                let base = LSN(UInt64(input.byte() % 40) + 1)
                bytes = SegmentHeader(baseLSN: base, isSealed: input.byte() % 2 == 1).bytes + bytes
            }
            image[name] = bytes
        }
        try check(image, committed: nil)
    }

    private static func damagedLog(_ input: inout FuzzInput) throws(Violation) {
        let disk = SimulatedDisk(seed: 1)
        var options = WALOptions(syncMode: .none, segmentTargetBytes: 64 + UInt64(input.byte()) * 8)
        options.fileSystem = disk.fileSystem()
        var committed: [Transaction] = []
        do {
            let (wal, _, _) = try WAL<CrashEvent>.open(directory: directory, options: options)
            let transactions = Int(input.byte() % 24)
            for sequence in 0..<UInt32(transactions) {
                let shape = input.byte()
                let events = CrashEvent.transaction(
                    writer: 0, sequence: sequence, count: 1 + Int(shape % 4), fillerSeed: UInt64(input.byte()))
                switch shape / 4 % 8 {
                case 0:
                    let begin = try wal.begin()
                    for event in events { _ = try wal.append(event, to: begin) }
                    _ = try wal.abort(begin)
                case 1 where sequence + 1 == UInt32(transactions):
                    let begin = try wal.begin()
                    _ = try wal.appendBatch(events, to: begin)
                case 2:
                    let begin = try wal.begin()
                    _ = try wal.appendBatch(events, to: begin)
                    let commit = try wal.commit(transaction: begin)
                    committed.append(Transaction(beginLSN: begin, commitLSN: commit, events: events))
                default:
                    if let commit = try wal.commit(events) {
                        committed.append(Transaction(beginLSN: commit.beginLSN, commitLSN: commit.commitLSN, events: events))
                    }
                }
            }
            try wal.close()
        } catch {
            throw Violation(description: "building the log failed: \(error)")
        }
        var image = disk.snapshot(of: directory).reduce(into: [String: [UInt8]]()) { image, entry in
            if let name = entry.key.split(separator: "/").last { image[String(name)] = entry.value }
        }
        let names = image.keys.filter { SegmentID(fileName: $0) != nil }.sorted()
        let damages = Int(input.byte() % 4)
        for _ in 0..<damages where !names.isEmpty {
            let name = names[Int(input.byte()) % names.count]
            guard var bytes = image[name], !bytes.isEmpty else { continue }
            let offset = (Int(input.byte()) << 8 | Int(input.byte())) % bytes.count
            switch input.byte() % 4 {
            case 0: bytes[offset] ^= 1 << (input.byte() % 8)
            case 1:
                for index in offset..<min(bytes.count, offset + 1 + Int(input.byte() % 4)) { bytes[index] = input.byte() }
            case 2: bytes.removeSubrange(offset...)
            default: bytes += input.bytes(1 + Int(input.byte() % 64))
            }
            image[name] = bytes
        }
        try check(image, committed: committed, undamaged: damages == 0)
    }

    // MARK: Checks

    private static func mount(_ image: [String: [UInt8]]) -> SimulatedDisk {
        let disk = SimulatedDisk(seed: 2)
        let fs = disk.fileSystem()
        do {
            try fs.createDirectory(directory)
            for (name, bytes) in image {
                let file = try fs.openFile(joinPath(directory, name), mode: .createNew)
                if !bytes.isEmpty { try bytes.withUnsafeBytes { try file.write($0, at: 0) } }
            }
        } catch {
            return disk
        }
        return disk
    }

    private struct Replay {
        var transactions: [Transaction] = []
        var report: ReplayReport
    }

    private static func replay(_ disk: SimulatedDisk, _ mode: RecoveryMode) throws -> Replay {
        var transactions: [Transaction] = []
        let report = try WAL<CrashEvent>.replay(directory: directory, recoveryMode: mode, fileSystem: disk.fileSystem()) {
            transactions.append(Transaction(beginLSN: $0.beginLSN, commitLSN: $0.commitLSN, events: $0.events))
        }
        return Replay(transactions: transactions, report: report)
    }

    private static func check(
        _ image: [String: [UInt8]], committed: [Transaction]?, undamaged: Bool = false
    ) throws(Violation) {
        let disk = mount(image)
        let strict: Replay?
        do { strict = try replay(disk, .strict) } catch let error as WALError where error.code != .io {
            strict = nil
        } catch {
            throw Violation(description: "strict replay failed with an unexpected error: \(error)")
        }
        let salvage: Replay
        do { salvage = try replay(disk, .salvage) } catch {
            throw Violation(description: "salvage replay refused: \(error)")
        }
        if let strict {
            guard same(strict.transactions, salvage.transactions), salvage.report.damage == nil else {
                throw Violation(
                    description: "strict accepted but salvage differs: damage \(String(describing: salvage.report.damage)), \(strict.transactions.count) vs \(salvage.transactions.count) transactions")
            }
        }
        if let committed {
            for (name, result) in [("strict", strict), ("salvage", salvage)] {
                guard let result else { continue }
                try requireGenuine(result.transactions, committed: committed, name)
            }
            guard isPrefix(salvage.transactions, of: committed) else {
                throw Violation(description: "salvage returned \(salvage.transactions.count) transactions that are not a prefix of the commit order")
            }
            if undamaged {
                guard let strict, same(strict.transactions, committed), strict.report.tornTail == nil else {
                    throw Violation(description: "an undamaged log did not replay exactly")
                }
            }
        }
        for mode in RecoveryMode.allCases {
            try checkOpen(image, mode: mode, strictAccepted: strict != nil)
        }
    }

    /// Opens a copy of the image; after a successful open, a strict replay
    /// must succeed, without a torn tail, and return what the open returned.
    private static func checkOpen(_ image: [String: [UInt8]], mode: RecoveryMode, strictAccepted: Bool) throws(Violation) {
        let disk = mount(image)
        var options = WALOptions(syncMode: .none, recoveryMode: mode)
        options.fileSystem = disk.fileSystem()
        var opened: [Transaction] = []
        do {
            let (wal, _) = try WAL<CrashEvent>.open(directory: directory, options: options) {
                opened.append(Transaction(beginLSN: $0.beginLSN, commitLSN: $0.commitLSN, events: $0.events))
            }
            try wal.close()
        } catch let error as WALError where mode == .strict && !strictAccepted && error.code != .io {
            return
        } catch {
            throw Violation(description: "\(mode) open failed: \(error) (strict replay \(strictAccepted ? "accepted" : "refused") the image)")
        }
        do {
            let after = try replay(disk, .strict)
            guard after.report.tornTail == nil, after.report.damage == nil else {
                throw Violation(description: "after a \(mode) open the log still has a torn tail or damage")
            }
            guard same(after.transactions, opened) else {
                throw Violation(description: "after a \(mode) open, replay returns \(after.transactions.count) transactions, the open returned \(opened.count)")
            }
        } catch let violation as Violation {
            throw violation
        } catch {
            throw Violation(description: "after a \(mode) open, strict replay refused: \(error)")
        }
    }

    private static func requireGenuine(
        _ transactions: [Transaction], committed: [Transaction], _ mode: String
    ) throws(Violation) {
        let byCommit = Dictionary(committed.map { ($0.commitLSN, $0) }, uniquingKeysWith: { first, _ in first })
        for transaction in transactions {
            guard let original = byCommit[transaction.commitLSN], original.beginLSN == transaction.beginLSN,
                original.events == transaction.events
            else {
                throw Violation(description: "\(mode) replay returned a transaction that was never committed: \(transaction.commitLSN) \(transaction.events)")
            }
        }
    }

    private static func same(_ lhs: [Transaction], _ rhs: [Transaction]) -> Bool {
        lhs == rhs
    }

    private static func isPrefix(_ lhs: [Transaction], of rhs: [Transaction]) -> Bool {
        lhs.count <= rhs.count && same(lhs, Array(rhs.prefix(lhs.count)))
    }
}

/// Reads fuzzer bytes as choices; past the end every read is zero.
struct FuzzInput {
    private let data: [UInt8]
    private var position = 0

    init(_ data: [UInt8]) { self.data = data }

    mutating func byte() -> UInt8 {
        guard position < data.count else { return 0 }
        defer { position += 1 }
        return data[position]
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        let end = min(data.count, position + count)
        defer { position = end }
        return Array(data[position..<end])
    }

    mutating func rest() -> [UInt8] { bytes(data.count - position) }
}
