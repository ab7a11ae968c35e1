import WriteAheadLog

/// Runs one system through one write workload in a fresh directory and
/// turns what it did into a result row.
struct WorkloadRunner {
    let scratch: ScratchDirectory
    let progress: (String) -> Void

    func run(_ spec: WorkloadSpec, system: SystemName) throws -> ResultRow {
        let directory = scratch.freshPath("\(spec.name.rawValue)-\(system.rawValue)")
        defer { scratch.discard(directory) }
        let payload = TransactionPayload(eventsPerCommit: spec.eventsPerCommit, eventBytes: spec.eventBytes)

        // The device stands for N writers with one thread whose every write
        // carries N commits: see DeviceCommitter.
        let threads = system == .device ? 1 : spec.writers
        let commitsPerSample = system == .device ? spec.writers : 1
        let latencies = (0..<threads).map { _ in LatencyBuffer(capacity: Self.latencyCapacity(spec, writers: threads)) }

        let committer: any BlockingCommitter
        switch system {
        case .wal, .walAsync:
            committer = try WALCommitter(directory: directory, durability: spec.durability, payload: payload)
        case .sqlite:
            committer = try SQLiteCommitter(directory: directory, durability: spec.durability, payload: payload)
        case .rocksdb:
            committer = try RocksDBCommitter(directory: directory, durability: spec.durability, payload: payload)
        case .device:
            committer = try DeviceCommitter(
                directory: directory, durability: spec.durability, payload: payload, groupSize: spec.writers)
        }
        // Opening is not measured; the peak is taken over the commits only.
        let memory = PeakMemoryProbe()
        let elapsed: UInt64
        do {
            if system == .walAsync, let wal = committer as? WALCommitter {
                let limits = spec.limits
                elapsed = try blockingWait {
                    try await WriterTasks.run(writers: threads, limits: limits, latencies: latencies) { _ in
                        try await wal.commitAsync()
                    }
                }
            } else {
                elapsed = try WriterThreads.run(writers: threads, limits: spec.limits, latencies: latencies) { writer in
                    try committer.commit(writer: writer)
                }
            }
        } catch {
            try? committer.close()
            throw error
        }
        let peak = memory.peakAboveBaseline()
        try committer.close()

        let statistics = RunStatistics(
            latencies: latencies, commitsPerSample: commitsPerSample, eventsPerCommit: spec.eventsPerCommit,
            bytesPerCommit: payload.flat.count, elapsedNanos: elapsed)
        return ResultRow(
            workload: spec.name, system: system, writers: spec.writers, statistics: statistics, peakRSSBytes: peak)
    }

    /// Enough latency slots that recording never allocates in a normal run.
    private static func latencyCapacity(_ spec: WorkloadSpec, writers: Int) -> Int {
        if spec.limits.commitsPerWriter != .max { return spec.limits.commitsPerWriter }
        return max(1 << 12, (1 << 18) / writers)
    }
}
