import CoreMetrics
import GraphDatabase
import Metrics
import Prometheus

/// The server's Prometheus registry and the figures it adds to what the
/// libraries emit through swift-metrics.
///
/// The write-ahead log records its commits, bytes, fsyncs and their
/// latency, group sizes and durable lag through swift-metrics; bootstrapping
/// a Prometheus factory routes those here. The server adds HTTP requests by
/// route and status, what recovery did, the graph's size and health,
/// sampled at each scrape, and the archive's progress with `--archive`.
public final class ServerMetrics: Sendable {
    /// Where every metric of the process lands.
    public let registry: PrometheusCollectorRegistry

    /// Wraps a registry that swift-metrics is already bootstrapped with.
    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Creates a registry and makes it the process's swift-metrics backend.
    ///
    /// Call once per process, before the database opens (the log creates
    /// its metrics when it opens): swift-metrics refuses a second bootstrap.
    public static func bootstrapPrometheus() -> ServerMetrics {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // fsyncs and HTTP requests take microseconds to seconds.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .seconds(5),
        ]
        factory.defaultValueHistogramBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
        MetricsSystem.bootstrap(factory)
        return ServerMetrics(registry: registry)
    }

    /// Records what recovery did, as gauges.
    public static func recordRecovery(_ report: RecoveryReport) {
        let seconds = Double(report.duration.components.seconds) + Double(report.duration.components.attoseconds) / 1e18
        Gauge(label: "graph_recovery_duration_seconds").record(seconds)
        Gauge(label: "graph_recovery_transactions_replayed").record(report.transactionsReplayed)
        Gauge(label: "graph_recovery_events_replayed").record(report.eventsReplayed)
        Gauge(label: "graph_recovery_snapshot_lsn").record(Int64(clamping: report.snapshotLSN.rawValue))
        Gauge(label: "graph_recovery_skipped_snapshots").record(report.skippedSnapshots.count)
    }

    /// Samples the graph's size, the log's health, the archive's progress
    /// and a replica's just before a scrape. A log whose segments cannot be sized
    /// leaves its gauges where they were; `/admin/wal/status` reports that
    /// error. The archive's counters move after each round (``ServerArchive``).
    func observe(_ database: GraphDatabase, archive: ServerArchive? = nil, replica: ServerReplica? = nil) {
        if let replica {
            let status = replica.status
            let health = replica.health()
            Gauge(label: "graph_replica_following").record(status.role == .following ? 1 : 0)
            Gauge(label: "graph_replica_applied_lsn").record(Int64(clamping: status.appliedLSN))
            Gauge(label: "graph_replica_archive_lsn").record(Int64(clamping: status.archiveLSN))
            Gauge(label: "graph_replica_lag_lsn").record(Int64(clamping: health.lagLSNs))
            Gauge(label: "graph_replica_lag_seconds").record(health.lagSeconds)
            Gauge(label: "graph_replica_transactions_applied").record(status.transactionsApplied)
            Gauge(label: "graph_replica_errors").record(status.errors)
        }
        if let archive {
            let health = archive.health(localLSN: database.writtenLSN)
            Gauge(label: "graph_archive_archived_lsn").record(Int64(clamping: health.status.archivedLSN))
            Gauge(label: "graph_archive_snapshot_lsn").record(Int64(clamping: health.status.snapshotLSN))
            Gauge(label: "graph_archive_lag_lsn").record(Int64(clamping: health.lagLSNs))
            Gauge(label: "graph_archive_lag_seconds").record(health.lagSeconds)
            Gauge(label: "graph_archive_last_round_failed").record(health.lastRoundFailed ? 1 : 0)
        }
        let stats = database.read { $0.stats }
        Gauge(label: "graph_nodes").record(stats.nodeCount)
        Gauge(label: "graph_relationships").record(stats.relationshipCount)
        Gauge(label: "graph_wal_poisoned").record(database.failure == nil ? 0 : 1)
        if let status = try? database.walStatus() {
            Gauge(label: "graph_wal_durable_lsn").record(Int64(clamping: status.durableLSN.rawValue))
            Gauge(label: "graph_wal_segments").record(status.segmentCount)
            Gauge(label: "graph_wal_bytes").record(Int64(clamping: status.totalBytes))
        }
    }

    /// The Prometheus text exposition of every metric.
    func render() -> [UInt8] { registry.emitToBuffer() }
}
