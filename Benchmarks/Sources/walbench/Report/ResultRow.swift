/// One line of the result: one system in one workload.
struct ResultRow: Sendable {
    var workload: String
    var system: String
    var writers: Int
    var commitsPerSecond: Double
    var eventsPerSecond: Double
    var p50Micros: Double?
    var p99Micros: Double?
    var mbPerSecond: Double
    var peakRSSBytes: Int?

    init(workload: WorkloadName, system: SystemName, writers: Int, statistics: RunStatistics, peakRSSBytes: Int?) {
        self.workload = workload.rawValue
        self.system = system.rawValue
        self.writers = writers
        commitsPerSecond = Self.rounded(statistics.commitsPerSecond, places: 1)
        eventsPerSecond = Self.rounded(statistics.eventsPerSecond, places: 1)
        p50Micros = statistics.p50Nanos.map { Self.rounded(Double($0) / 1000, places: 2) }
        p99Micros = statistics.p99Nanos.map { Self.rounded(Double($0) / 1000, places: 2) }
        mbPerSecond = Self.rounded(statistics.megabytesPerSecond, places: 2)
        self.peakRSSBytes = peakRSSBytes
    }

    private static func rounded(_ value: Double, places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (value * scale).rounded() / scale
    }
}
