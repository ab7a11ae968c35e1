/// What one system did in one workload: counts, time and the latency distribution.
struct RunStatistics: Sendable {
    var commits: Int
    var events: Int
    var payloadBytes: Int
    var elapsedNanos: UInt64
    var p50Nanos: UInt64?
    var p99Nanos: UInt64?

    /// Merges the writers' latency samples; `commitsPerSample` > 1 when one
    /// measured operation stands for several commits (the device's ideal group).
    init(latencies: [LatencyBuffer], commitsPerSample: Int = 1, eventsPerCommit: Int, bytesPerCommit: Int, elapsedNanos: UInt64) {
        var all: [UInt64] = []
        all.reserveCapacity(latencies.reduce(0) { $0 + $1.count })
        for buffer in latencies { all.append(contentsOf: buffer.samples) }
        all.sort()
        commits = all.count * commitsPerSample
        events = commits * eventsPerCommit
        payloadBytes = commits * bytesPerCommit
        self.elapsedNanos = max(elapsedNanos, 1)
        p50Nanos = Self.percentile(all, 0.50)
        p99Nanos = Self.percentile(all, 0.99)
    }

    init(commits: Int, events: Int, payloadBytes: Int, elapsedNanos: UInt64) {
        self.commits = commits
        self.events = events
        self.payloadBytes = payloadBytes
        self.elapsedNanos = max(elapsedNanos, 1)
    }

    var seconds: Double { Double(elapsedNanos) / 1e9 }
    var commitsPerSecond: Double { Double(commits) / seconds }
    var eventsPerSecond: Double { Double(events) / seconds }
    var megabytesPerSecond: Double { Double(payloadBytes) / 1e6 / seconds }

    /// Nearest-rank percentile of sorted samples.
    private static func percentile(_ sorted: [UInt64], _ fraction: Double) -> UInt64? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
