import Metrics

/// The log's metrics, through swift-metrics: no-ops until the application
/// bootstraps a backend (Prometheus, StatsD, ...) before opening the log.
struct WALMetrics: Sendable {
    let commits: Counter
    let bytesWritten: Counter
    let writes: Counter
    let fsyncs: Counter
    let fsyncDuration: Metrics.Timer
    let commitsPerFsync: Recorder
    let durableLag: Gauge

    init(directory: String) {
        let dimensions = [("directory", directory)]
        commits = Counter(label: "wal_commits_total", dimensions: dimensions)
        bytesWritten = Counter(label: "wal_bytes_written_total", dimensions: dimensions)
        writes = Counter(label: "wal_writes_total", dimensions: dimensions)
        fsyncs = Counter(label: "wal_fsyncs_total", dimensions: dimensions)
        fsyncDuration = Metrics.Timer(label: "wal_fsync_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
        commitsPerFsync = Recorder(label: "wal_commits_per_fsync", dimensions: dimensions, aggregate: true)
        durableLag = Gauge(label: "wal_durable_lag_lsn", dimensions: dimensions)
    }
}
