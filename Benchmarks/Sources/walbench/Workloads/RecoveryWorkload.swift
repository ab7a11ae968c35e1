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
        try ChildMeasurement.run(["--recovery-child", directory], as: RecoveryMeasurement.self)
    }

    /// The child's side (`walbench --recovery-child DIR`): open the log with
    /// the streaming form, count what it hands over, print the measurement.
    static func runChild(directory: String) throws {
        var transactions = 0
        var events = 0
        var checksum: UInt8 = 0
        let memory = PeakMemoryProbe()
        let started = monotonicNanos()
        let (wal, report) = try WAL<[UInt8]>.open(directory: directory) { transaction in
            transactions += 1
            events += transaction.events.count
            // Touch the payload so replay cannot be optimised into counting.
            if let first = transaction.events.first?.first { checksum ^= first }
        }
        let elapsed = monotonicNanos() - started
        let peak = memory.peakAboveBaseline()
        let logBytes = report.logBytes
        try wal.close()
        let measurement = RecoveryMeasurement(
            transactions: transactions, events: events, logBytes: logBytes, elapsedNanos: elapsed,
            peakRSSAboveBaseline: peak, checksum: checksum)
        try ChildMeasurement.report(measurement)
    }
}

extension ReplayReport {
    /// The log's content: each segment's bytes up to its last valid record,
    /// not the preallocated zeros after it that a file's size includes.
    var logBytes: UInt64 { segments.reduce(0) { $0 + $1.validBytes } }
}
