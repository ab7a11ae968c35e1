import Foundation
import WALTestSupport
import WriteAheadLog

/// One randomized crash test, fully described by its seed: the sync mode,
/// segment size, number of writers, every writer's operations and the
/// crash points all derive from it. Thread interleaving is the only thing
/// the seed does not fix, so a replay runs the same workload and crash
/// choices, not necessarily the same schedule.
///
/// The run: open a fresh log on a simulated disk, let several writers
/// commit (whole transactions and primitives: committed, aborted, left
/// open), sync, flush and truncate while the disk counts down to a crash;
/// crash; reopen and check the recovery against the ledger; commit more,
/// crash again, reopen and check; then commit, close cleanly, reopen and check.
struct CrashScenario {
    let seed: UInt64
    let syncMode: SyncMode
    let segmentTargetBytes: UInt64
    let writers: Int
    let operationsPerWriter: Int
    /// Random EIO/ENOSPC on writes, syncs and directory operations in the
    /// first round, with this probability each; nil for a clean disk.
    let faultProbability: Double?
    let directory = "/data/logs/wal"

    static let modes: [SyncMode] = [.always, .groupSync(interval: .milliseconds(1)), .none]

    init(seed: UInt64) {
        self.seed = seed
        var random = SeededGenerator(seed: seed ^ 0xC0FF_EE00_D15C_0001)
        syncMode = Self.modes[Int(seed % 3)]
        segmentTargetBytes = 200 + random.next() % 3000
        writers = 1 + Int(random.next() % 3)
        operationsPerWriter = 4 + Int(random.next() % 30)
        faultProbability = random.chance(0.25) ? 0.01 + Double(random.next() % 8) / 100 : nil
    }

    struct Outcome {
        var problems: [String] = []
        /// Crashes the scenario went through.
        var crashes = 0
        var recovered = 0
        var tornTails = 0
        /// Crashes that hit while the log was working (not after the workload).
        var midWorkloadCrashes = 0
        /// Recoveries after a failed fsync that strict mode refused and salvage opened.
        var salvaged = 0
        var failedFileSyncsSeen = 0
    }

    var label: String {
        "seed \(seed) (\(syncMode), \(writers) writers x \(operationsPerWriter) ops, segment target \(segmentTargetBytes) bytes, faults \(faultProbability.map { "p=\($0)" } ?? "none")); replay with WAL_CRASH_SEED=\(seed)"
    }

    func run() -> Outcome {
        var outcome = Outcome()
        var random = SeededGenerator(seed: seed)
        let disk = SimulatedDisk(seed: random.fork())
        let ledger = Ledger()

        // Round 1: a fresh log, concurrent writers, a crash anywhere, even in the first open.
        let estimate = writers * operationsPerWriter * 3 + 12
        disk.crash(afterOperations: Int(random.next() % UInt64(estimate)))
        if let faultProbability {
            disk.injectRandomFaults(
                RandomFaults(probability: faultProbability, operations: [.write, .fileSync, .directorySync, .create, .rename]))
        }
        if runRound(disk: disk, ledger: ledger, writers: writers, operations: operationsPerWriter, random: &random) {
            outcome.midWorkloadCrashes += 1
        }
        disk.clearFaults()
        outcome.crashes += 1
        guard recover(disk: disk, ledger: ledger, round: "after the first crash", outcome: &outcome) else { return outcome }

        // Round 2: the recovered log takes new commits and survives another crash.
        disk.crash(afterOperations: Int(random.next() % UInt64(estimate / 2 + 8)))
        if runRound(disk: disk, ledger: ledger, writers: max(1, writers - 1), operations: operationsPerWriter / 2 + 2, random: &random) {
            outcome.midWorkloadCrashes += 1
        }
        outcome.crashes += 1
        guard recover(disk: disk, ledger: ledger, round: "after the second crash", outcome: &outcome) else { return outcome }

        // Round 3: a clean close keeps every commit.
        do {
            let wal = try open(disk: disk, ledger: ledger).wal
            let sequence = ledger.nextSequence(for: 9)
            let events = CrashEvent.transaction(writer: 9, sequence: sequence, count: 2)
            ledger.register(events, intent: .commit)
            if let commit = try wal.commit(events) {
                ledger.acknowledge(events[0].key, begin: commit.beginLSN, commit: commit.commitLSN, durable: false)
            }
            try wal.close()
            // Closing fsyncs: everything committed is durable now.
            ledger.observeDurable(LSN(wal.nextLSN.rawValue - 1))
            disk.crash()
            outcome.crashes += 1
        } catch {
            outcome.problems.append("the recovered log failed a clean commit and close: \(error)")
            return outcome
        }
        _ = recover(disk: disk, ledger: ledger, round: "after a clean close", outcome: &outcome)
        return outcome
    }

    private func options(_ disk: SimulatedDisk) -> WALOptions {
        var options = WALOptions(syncMode: syncMode, segmentTargetBytes: segmentTargetBytes, recoveryMode: .strict)
        options.fileSystem = disk.fileSystem()
        return options
    }

    private func open(
        disk: SimulatedDisk, ledger: Ledger, mode: RecoveryMode = .strict
    ) throws -> (wal: WAL<CrashEvent>, recovered: [CommittedTransaction<CrashEvent>], report: ReplayReport) {
        var recovered: [CommittedTransaction<CrashEvent>] = []
        var options = options(disk)
        options.recoveryMode = mode
        let (wal, report) = try WAL<CrashEvent>.open(directory: directory, options: options, fence: ledger.fence) {
            recovered.append($0)
        }
        return (wal, recovered, report)
    }

    /// Reopens after a crash (the disk must have crashed), checks the
    /// recovery, closes cleanly. Returns false when checking cannot go on.
    ///
    /// After a failed fsync, strict recovery may refuse: the pages whose
    /// writeback failed can be a hole before data written back later, which
    /// is damage followed by valid records, not a torn tail. Salvage must
    /// then open it and keep every acknowledged commit (they all precede
    /// the failed fsync, since nothing is acknowledged after it).
    private func recover(disk: SimulatedDisk, ledger: Ledger, round: String, outcome: inout Outcome) -> Bool {
        let fsyncFailed = disk.statistics.failedFileSyncs > outcome.failedFileSyncsSeen
        outcome.failedFileSyncsSeen = disk.statistics.failedFileSyncs
        do {
            let wal: WAL<CrashEvent>
            let recovered: [CommittedTransaction<CrashEvent>]
            let report: ReplayReport
            do {
                (wal, recovered, report) = try open(disk: disk, ledger: ledger)
            } catch let error as WALError where error.code == .corruption && fsyncFailed {
                (wal, recovered, report) = try open(disk: disk, ledger: ledger, mode: .salvage)
                if report.damage == nil { outcome.problems.append("\(round): strict open refused (\(error)) but salvage found no damage") }
                outcome.salvaged += 1
            }
            defer { try? wal.close() }
            if report.tornTail != nil { outcome.tornTails += 1 }
            outcome.recovered += recovered.count
            let problems = ledger.problems(recovered: recovered)
            if !problems.isEmpty {
                outcome.problems += problems.map { "\(round): \($0)" }
                outcome.problems.append("\(round): the crash kept: \(disk.lastCrashSummary ?? "?")")
                return false
            }
            ledger.settle(recovered: recovered)
            ledger.observeDurable(wal.durableLSN)
            return true
        } catch {
            outcome.problems.append("\(round): reopening failed: \(error); the crash kept: \(disk.lastCrashSummary ?? "?")")
            return false
        }
    }

    /// Opens the log and runs `writers` threads against it until each has
    /// done its operations or the disk crashed; crashes the disk if the
    /// countdown did not, then abandons the handle. Returns whether the
    /// countdown crashed the disk while the log was working.
    @discardableResult
    private func runRound(disk: SimulatedDisk, ledger: Ledger, writers: Int, operations: Int, random: inout SeededGenerator) -> Bool {
        let bootBefore = disk.boot
        let wal: WAL<CrashEvent>
        do {
            wal = try open(disk: disk, ledger: ledger).wal
        } catch {
            // The countdown hit inside open: a crash point like any other.
            if disk.boot == bootBefore {
                disk.crash()
                return false
            }
            return true
        }
        let seeds = (0..<writers).map { _ in random.fork() }
        let mode = syncMode
        runOnThreads(writers) { index in
            var writer = Writer(
                id: UInt16(index), wal: wal, ledger: ledger, random: SeededGenerator(seed: seeds[index]), syncMode: mode)
            writer.run(operations: operations, until: { disk.boot != bootBefore })
        }
        let crashedWhileWorking = disk.boot != bootBefore
        if !crashedWhileWorking { disk.crash() }
        // The handle belongs to the crashed boot: every call fails with EIO.
        // Closing joins its flusher and releases nothing of the new boot.
        try? wal.close()
        return crashedWhileWorking
    }
}

/// One thread's random walk over the log's API.
struct Writer {
    let id: UInt16
    let wal: WAL<CrashEvent>
    let ledger: Ledger
    var random: SeededGenerator
    let syncMode: SyncMode
    private var leftOneOpen = false

    init(id: UInt16, wal: WAL<CrashEvent>, ledger: Ledger, random: SeededGenerator, syncMode: SyncMode) {
        self.id = id
        self.wal = wal
        self.ledger = ledger
        self.random = random
        self.syncMode = syncMode
    }

    mutating func run(operations: Int, until crashed: () -> Bool) {
        for _ in 0..<operations {
            if crashed() { return }
            do {
                try step()
                ledger.observeDurable(wal.durableLSN)
            } catch {
                // Crashed or poisoned: this handle is done.
                return
            }
        }
    }

    private mutating func events(_ intent: CrashEvent.Intent, maximum: Int = 4) -> [CrashEvent] {
        let sequence = ledger.nextSequence(for: id)
        return CrashEvent.transaction(
            writer: id, sequence: sequence, count: 1 + Int(random.next() % UInt64(maximum)), intent: intent,
            fillerSeed: random.next())
    }

    private mutating func step() throws {
        let roll = random.next() % 100
        switch roll {
        case 0..<50:
            let events = events(.commit)
            let durability: CommitDurability = random.chance(0.1) ? .durable : .syncMode
            ledger.register(events, intent: .commit)
            if let commit = try wal.commit(events, durability: durability) {
                ledger.acknowledge(events[0].key, begin: commit.beginLSN, commit: commit.commitLSN, durable: commit.isDurable)
            }
        case 50..<60:
            try primitive(.commit)
        case 60..<66:
            try primitive(.abort)
        case 66..<68 where !leftOneOpen:
            leftOneOpen = true
            try primitive(.leaveOpen)
        case 68..<78:
            ledger.observeDurable(try wal.sync())
        case 78..<84:
            try truncate()
        case 84..<90:
            try wal.flush()
        default:
            let durable = wal.durableLSN
            ledger.observeDurable(durable)
            if durable.rawValue > 0, random.chance(0.3) { try wal.waitUntilDurable(durable) }
        }
    }

    /// A transaction through the record primitives.
    private mutating func primitive(_ intent: CrashEvent.Intent) throws {
        let events = events(intent, maximum: 3)
        let begin: LSN = try ledger.state.withLock { state in
            // Registered under the ledger lock, so a truncation fence is
            // never chosen inside this transaction.
            let begin = try wal.begin()
            state.spans[begin] = .some(nil)
            state.expected[events[0].key] = Ledger.Expected(events: events, intent: intent, beginLSN: begin)
            return begin
        }
        var index = 0
        while index < events.count {
            let take = random.chance(0.5) ? 1 : events.count - index
            if take == 1 {
                _ = try wal.append(events[index], to: begin)
            } else {
                _ = try wal.appendBatch(events[index...], to: begin)
            }
            index += take
        }
        switch intent {
        case .commit:
            let commit = try wal.commit(transaction: begin)
            ledger.state.withLock { $0.spans[begin] = commit }
            ledger.acknowledge(events[0].key, begin: begin, commit: commit, durable: false)
        case .abort:
            let abort = try wal.abort(begin)
            ledger.state.withLock { $0.spans[begin] = abort }
        case .leaveOpen:
            return
        }
        switch random.next() % 3 {
        case 0: try wal.flush()
        case 1: ledger.observeDurable(try wal.sync())
        default: break
        }
    }

    /// Truncates up to the newest known commit that an fsync covered and
    /// that no primitive transaction straddles, as a checkpoint would.
    private func truncate() throws {
        let fence: LSN? = ledger.state.withLock { state in
            let durable = wal.durableLSN
            var best: LSN?
            for expected in state.expected.values where expected.intent == .commit {
                guard let commit = expected.commitLSN, commit <= durable, commit > state.fence else { continue }
                let straddled = state.spans.contains { begin, end in
                    begin <= commit && (end.map { commit < $0 } ?? true)
                }
                if !straddled, commit > (best ?? .none) { best = commit }
            }
            if let best { state.fence = best }
            return best
        }
        if let fence { try wal.truncate(upTo: fence) }
    }
}
