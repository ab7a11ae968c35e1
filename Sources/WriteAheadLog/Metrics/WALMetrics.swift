import Metrics

/// The log's metrics, through swift-metrics: off until the application
/// bootstraps a backend (Prometheus, StatsD, ...) before opening the log.
///
/// Why off rather than recorded into swift-metrics' no-op handler: the
/// log records three metrics per commit, each a call through the metric's
/// handler that does nothing without a backend. With none, they are
/// skipped on a flag read once at open.
struct WALMetrics: Sendable {
    /// Whether a backend was bootstrapped (or bound to the opening task)
    /// when the log opened: the metrics below record only then.
    let isEnabled: Bool
    private let commits: Counter
    private let bytesWritten: Counter
    private let writes: Counter
    private let fsyncs: Counter
    private let fsyncDuration: Metrics.Timer
    private let commitsPerFsync: Recorder
    private let durableLag: Gauge

    init(directory: String) {
        let factory = MetricsSystem.factory
        isEnabled = !(factory is NOOPMetricsHandler)
        let dimensions = [("directory", directory)]
        commits = Counter(label: "wal_commits_total", dimensions: dimensions, factory: factory)
        bytesWritten = Counter(label: "wal_bytes_written_total", dimensions: dimensions, factory: factory)
        writes = Counter(label: "wal_writes_total", dimensions: dimensions, factory: factory)
        fsyncs = Counter(label: "wal_fsyncs_total", dimensions: dimensions, factory: factory)
        fsyncDuration = Metrics.Timer(
            label: "wal_fsync_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds,
            factory: factory)
        commitsPerFsync = Recorder(label: "wal_commits_per_fsync", dimensions: dimensions, aggregate: true, factory: factory)
        durableLag = Gauge(label: "wal_durable_lag_lsn", dimensions: dimensions, factory: factory)
    }

    /// One transaction appended through `commit`.
    @inline(__always)
    func recordCommit() {
        if isEnabled { commits.increment() }
    }

    /// One write of `bytes` handed to the kernel (or stored into the mapping).
    @inline(__always)
    func recordWrite(bytes: Int) {
        guard isEnabled else { return }
        bytesWritten.increment(by: bytes)
        writes.increment()
    }

    /// One fsync of the active segment, which took `elapsed`.
    func recordFsync(took elapsed: Duration) {
        guard isEnabled else { return }
        fsyncs.increment()
        let (seconds, attoseconds) = elapsed.components
        fsyncDuration.recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// How many LSNs were appended but not durable after a group fsync.
    func recordDurableLag(_ lsns: Int64) {
        if isEnabled { durableLag.record(lsns) }
    }

    /// How many commits a group fsync covered.
    func recordCommitsPerFsync(_ commits: Int) {
        if isEnabled { commitsPerFsync.record(commits) }
    }
}
