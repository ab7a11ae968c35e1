import Foundation
import WriteAheadLog

/// What the recovery child measured, sent to the parent as one JSON line.
struct RecoveryMeasurement: Codable, Sendable {
    var transactions: Int
    var events: Int
    var logBytes: UInt64
    var elapsedNanos: UInt64
    var peakRSSAboveBaseline: Int?
    /// XOR of the first byte of every transaction: proof the events were read.
    var checksum: UInt8
}

/// `recovery`: replay of a log of single-event transactions through the
/// streaming `open`, measured in a child process so that what earlier
/// workloads left in this process's heap neither hides nor inflates the
/// replay's own peak memory.
struct RecoveryWorkload {
    let scratch: ScratchDirectory
    let progress: (String) -> Void

    func run(transactions: Int) throws -> ResultRow {
        let directory = scratch.freshPath("recovery-wal")
        defer { scratch.discard(directory) }
        try buildLog(at: directory, transactions: transactions)
        let measurement = try measureInChild(directory: directory)
        guard measurement.transactions == transactions else {
            throw BenchError("recovery replayed \(measurement.transactions) transactions, expected \(transactions)")
        }
        let statistics = RunStatistics(
            commits: measurement.transactions, events: measurement.events,
            payloadBytes: Int(measurement.logBytes), elapsedNanos: measurement.elapsedNanos)
        return ResultRow(
            workload: .recovery, system: .wal, writers: 1, statistics: statistics,
            peakRSSBytes: measurement.peakRSSAboveBaseline)
    }

    /// Writes the log to replay: `transactions` commits of one 100-byte
    /// event, fsynced once at close (sync mode `none`: only the content matters here).
    private func buildLog(at directory: String, transactions: Int) throws {
        progress("recovery: writing \(transactions) transactions to replay")
        let payload = TransactionPayload(eventsPerCommit: 1, eventBytes: 100)
        let wal = try WAL<[UInt8]>.open(directory: directory, options: WALOptions(syncMode: .none)).wal
        for _ in 0..<transactions {
            try wal.commit(payload.events)
        }
        try wal.close()
    }

    private func measureInChild(directory: String) throws -> RecoveryMeasurement {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.executablePath())
        process.arguments = ["--recovery-child", directory]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BenchError("the recovery child exited with status \(process.terminationStatus)")
        }
        return try JSONDecoder().decode(RecoveryMeasurement.self, from: data)
    }

    private static func executablePath() throws -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { throw BenchError.posix("readlink", path: "/proc/self/exe") }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The child's side (`walbench --recovery-child DIR`): open the log with
    /// the streaming form, count what it hands over, print the measurement.
    static func runChild(directory: String) throws {
        let logBytes = ScratchDirectory.treeBytes(directory)
        var transactions = 0
        var events = 0
        var checksum: UInt8 = 0
        let memory = PeakMemoryProbe()
        let started = monotonicNanos()
        let (wal, _) = try WAL<[UInt8]>.open(directory: directory) { transaction in
            transactions += 1
            events += transaction.events.count
            // Touch the payload so replay cannot be optimised into counting.
            if let first = transaction.events.first?.first { checksum ^= first }
        }
        let elapsed = monotonicNanos() - started
        let peak = memory.peakAboveBaseline()
        try wal.close()
        let measurement = RecoveryMeasurement(
            transactions: transactions, events: events, logBytes: logBytes, elapsedNanos: elapsed,
            peakRSSAboveBaseline: peak, checksum: checksum)
        let encoded = try JSONEncoder().encode(measurement)
        FileHandle.standardOutput.write(encoded)
    }
}
