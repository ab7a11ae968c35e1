import Foundation
import Metrics
import MetricsTestKit
import Testing
import WALTestSupport

@testable import WriteAheadLog

/// The log's metrics record only when a backend exists: with none, the
/// calls are skipped (see `WALMetrics`), and with one, every commit,
/// write and fsync is counted.
@Suite("Metrics")
struct MetricsTests {
    @Test("with a backend bound when the log opens, commits, bytes, writes and fsyncs are recorded")
    func recordedWithBackend() throws {
        let directory = TemporaryDirectory()
        let backend = TestMetrics()
        let wal = try withMetricsFactory(backend) {
            try openNotes(directory.path, .test(.groupSync(interval: .seconds(60)))).0
        }
        for index in UInt16(0)..<5 { try wal.commit([Note(index, "note \(index)")]) }
        try wal.flush()
        try wal.sync()
        let appended = Int64(wal.appendedBytes)
        try wal.close()

        let dimensions = [("directory", directory.path)]
        #expect(try backend.expectCounter("wal_commits_total", dimensions).totalValue == 5)
        #expect(try backend.expectCounter("wal_bytes_written_total", dimensions).totalValue == appended)
        #expect(try backend.expectCounter("wal_writes_total", dimensions).totalValue >= 1)
        #expect(try backend.expectCounter("wal_fsyncs_total", dimensions).totalValue >= 1)
        #expect(try !backend.expectTimer("wal_fsync_duration_seconds", dimensions).values.isEmpty)
        #expect(try !backend.expectRecorder("wal_commits_per_fsync", dimensions).values.isEmpty)
        // Everything appended was fsynced by the last group: no lag.
        #expect(try backend.expectGauge("wal_durable_lag_lsn", dimensions).lastValue == 0)
    }

    // Bound to the task rather than read from the process: the test
    // process bootstraps a global backend for the server's tests.
    @Test("with no backend, the log's metrics are off")
    func offWithoutBackend() {
        #expect(!withMetricsFactory(NOOPMetricsHandler.instance) { WALMetrics(directory: "/nowhere").isEnabled })
        #expect(withMetricsFactory(TestMetrics()) { WALMetrics(directory: "/nowhere").isEnabled })
    }
}
