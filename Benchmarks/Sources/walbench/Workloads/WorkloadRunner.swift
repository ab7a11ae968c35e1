import WriteAheadLog

/// One system opened for one workload: its directory, its latency buffers
/// and what its slices added up to so far.
private final class Contender {
    let system: SystemName
    let directory: String
    let committer: any BlockingCommitter
    /// Writers that run: the device stands for N writers with one thread
    /// whose every write carries N commits (see DeviceCommitter).
    let threads: Int
    let commitsPerSample: Int
    let latencies: [LatencyBuffer]
    var elapsedNanos: UInt64 = 0
    /// Net resident growth over the slices done so far, and the highest
    /// point reached above where the first slice started.
    var grownBytes = 0
    var peakBytes: Int? = 0
    var failure: (any Error)?

    init(system: SystemName, directory: String, committer: any BlockingCommitter, spec: WorkloadSpec) {
        self.system = system
        self.directory = directory
        self.committer = committer
        threads = system == .device ? 1 : spec.writers
        commitsPerSample = system == .device ? spec.writers : 1
        let capacity = Self.latencyCapacity(spec, writers: threads)
        latencies = (0..<threads).map { _ in LatencyBuffer(capacity: capacity) }
    }

    /// Enough latency slots that recording never allocates in a normal run.
    private static func latencyCapacity(_ spec: WorkloadSpec, writers: Int) -> Int {
        if spec.limits.commitsPerWriter != .max { return spec.limits.commitsPerWriter }
        return max(1 << 12, (1 << 18) / writers)
    }
}

/// Runs one write workload against several systems and turns what each did
/// into a result row.
///
/// The systems take turns: the workload is cut into `rounds` slices and
/// every round runs one slice of each system, starting with a different
/// system each round. On a shared machine the disk's fsync latency drifts
/// by an order of magnitude within minutes; running the systems one after
/// the other would hand each a different disk, while taking turns gives
/// them all the same mix, so the ratios between them hold.
struct WorkloadRunner {
    let scratch: ScratchDirectory
    let rounds: Int
    let progress: (String) -> Void

    /// Rows of the systems that finished, and the errors of those that did not.
    func run(_ spec: WorkloadSpec, systems: [SystemName]) -> (rows: [ResultRow], failures: [(SystemName, any Error)]) {
        let payload = TransactionPayload(eventsPerCommit: spec.eventsPerCommit, eventBytes: spec.eventBytes)
        var contenders: [Contender] = []
        var failures: [(SystemName, any Error)] = []
        for system in systems {
            let directory = scratch.freshPath("\(spec.name.rawValue)-\(system.rawValue)")
            do {
                contenders.append(
                    Contender(
                        system: system, directory: directory,
                        committer: try Self.open(system, directory: directory, spec: spec, payload: payload), spec: spec))
            } catch {
                failures.append((system, error))
                scratch.discard(directory)
            }
        }
        for round in 0..<rounds {
            progress("\(spec.name.rawValue): round \(round + 1) of \(rounds)")
            let limits = sliceLimits(spec.limits, round: round)
            for index in contenders.indices {
                let contender = contenders[(index + round) % contenders.count]
                guard contender.failure == nil else { continue }
                do {
                    try runSlice(contender, limits: limits)
                } catch {
                    contender.failure = error
                }
            }
        }
        var rows: [ResultRow] = []
        for contender in contenders {
            do {
                try contender.committer.close()
            } catch {
                if contender.failure == nil { contender.failure = error }
            }
            scratch.discard(contender.directory)
            if let failure = contender.failure {
                failures.append((contender.system, failure))
                continue
            }
            let statistics = RunStatistics(
                latencies: contender.latencies, commitsPerSample: contender.commitsPerSample,
                eventsPerCommit: spec.eventsPerCommit, bytesPerCommit: payload.flat.count,
                elapsedNanos: contender.elapsedNanos)
            rows.append(
                ResultRow(
                    workload: spec.name, system: contender.system, writers: spec.writers, statistics: statistics,
                    peakRSSBytes: contender.peakBytes))
        }
        return (rows, failures)
    }

    private static func open(
        _ system: SystemName, directory: String, spec: WorkloadSpec, payload: TransactionPayload
    ) throws -> any BlockingCommitter {
        switch (spec.subject, system) {
        case (.logEvents, .wal), (.logEvents, .walAsync):
            return try WALCommitter(directory: directory, durability: spec.durability, payload: payload)
        case (.logEvents, .sqlite):
            return try SQLiteCommitter(directory: directory, durability: spec.durability, table: .log(payload.flat))
        case (.logEvents, .rocksdb):
            return try RocksDBCommitter(directory: directory, durability: spec.durability, payload: payload)
        case (.logEvents, .device):
            return try DeviceCommitter(
                directory: directory, durability: spec.durability, payload: payload, groupSize: spec.writers)
        case (.graphNodes, .graphdb):
            return try GraphDatabaseCommitter(
                directory: directory, durability: spec.durability, node: NodePayload(labelCount: spec.graphLabels))
        case (.graphNodes, .sqlite):
            return try SQLiteCommitter(directory: directory, durability: spec.durability, table: .nodes(NodePayload()))
        case (.logEvents, .graphdb), (.graphNodes, _):
            throw BenchError("\(spec.name.rawValue) has no \(system.rawValue) variant")
        }
    }

    /// This round's share of the workload: an equal part of the count or
    /// of the duration, the last round taking what division left over.
    private func sliceLimits(_ limits: RunLimits, round: Int) -> RunLimits {
        var slice = limits
        let last = round == rounds - 1
        if limits.commitsPerWriter != .max {
            let share = limits.commitsPerWriter / rounds
            slice.commitsPerWriter = last ? limits.commitsPerWriter - share * (rounds - 1) : share
        }
        let time = limits.durationNanos / UInt64(rounds)
        slice.durationNanos = last ? limits.durationNanos - time * UInt64(rounds - 1) : time
        return slice
    }

    private func runSlice(_ contender: Contender, limits: RunLimits) throws {
        let startResident = ProcessMemory.residentBytes()
        let memory = PeakMemoryProbe()
        let elapsed: UInt64
        if contender.system == .walAsync, let wal = contender.committer as? WALCommitter {
            let latencies = contender.latencies
            let writers = contender.threads
            elapsed = try blockingWait {
                try await WriterTasks.run(writers: writers, limits: limits, latencies: latencies) { _ in
                    try await wal.commitAsync()
                }
            }
        } else {
            let committer = contender.committer
            elapsed = try WriterThreads.run(writers: contender.threads, limits: limits, latencies: contender.latencies) {
                writer in try committer.commit(writer: writer)
            }
        }
        contender.elapsedNanos += elapsed
        if let slicePeak = memory.peakAboveBaseline(), let startResident, let endResident = ProcessMemory.residentBytes(),
            let peak = contender.peakBytes
        {
            contender.peakBytes = max(peak, contender.grownBytes + slicePeak)
            contender.grownBytes += endResident - startResident
        } else {
            contender.peakBytes = nil
        }
    }
}
