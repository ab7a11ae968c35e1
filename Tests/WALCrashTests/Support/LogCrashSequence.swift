import WALTestSupport
import WriteAheadLog

/// One seeded sequence of failures for the log alone: open, recover, check,
/// work (commits, durable commits, primitives, syncs, checkpoints with
/// truncation, a lost log directory), fail (kill -9 or power loss, in the
/// middle of anything or at the end of the round), and again, for several
/// rounds; then a clean close and a last power loss. After every recovery
/// every acknowledged-durable commit is back (after kills alone, every
/// acknowledged commit), none is partial, what came back is a prefix of
/// the commit order, and no LSN handed out after a checkpoint lies at or
/// below its fence.
///
/// What a recovery returned is durable from then on: the next failure may
/// be a power loss, and the ledger holds the log to that.
struct LogCrashSequence {
    let seed: UInt64
    let syncMode: SyncMode
    let writeMode: WriteMode
    let segmentTargetBytes: UInt64
    let rounds: Int
    /// A fixed script instead of seeded choices: see ``issueSequence``.
    let script: [Round]?
    let directory = "/srv/wal"

    struct Round {
        var failure: CrashKind
        /// Operations before the failure; nil: the failure comes after the round's work.
        var failAfterOperations: Int?
        var work: Int
        var checkpointAtStart = false
        var durableCommits = false
    }

    static let modes: [SyncMode] = [.always, .groupSync(interval: .milliseconds(2)), .groupSync(interval: .seconds(3600)), .none]

    init(seed: UInt64) {
        self.seed = seed
        var random = SeededGenerator(seed: seed ^ 0x5E0_0E4C_E5EE_D5EE)
        syncMode = Self.modes[Int(random.next() % UInt64(Self.modes.count))]
        writeMode = random.chance(0.7) ? .mappedSegments : .writeCalls
        segmentTargetBytes = 300 + random.next() % 4000
        rounds = 3 + Int(random.next() % 4)
        script = nil
    }

    private init(seed: UInt64, syncMode: SyncMode, script: [Round]) {
        self.seed = seed
        self.syncMode = syncMode
        writeMode = .mappedSegments
        segmentTargetBytes = 64 << 10
        rounds = script.count
        self.script = script
    }

    /// The sequence that lost durable writes: commits under group sync and
    /// a kill before the background fsync; a restart and a checkpoint; a
    /// power loss; a restart and durable commits; a clean restart.
    static let issueSequence = LogCrashSequence(
        seed: 0x1550_0011, syncMode: .groupSync(interval: .seconds(3600)),
        script: [
            Round(failure: .processKill, work: 12),
            Round(failure: .powerLoss, work: 0, checkpointAtStart: true),
            Round(failure: .powerLoss, work: 6, durableCommits: true),
        ])

    var label: String {
        let replay = script == nil ? "replay with WAL_CRASH_SEED=\(seed)" : "the scripted sequence"
        return "log sequence seed \(seed) (\(syncMode), \(writeMode), \(rounds) rounds, segment target \(segmentTargetBytes) bytes); \(replay)"
    }

    /// Runs the sequence; returns what went wrong, empty when every promise held.
    func run() -> [String] {
        var random = SeededGenerator(seed: seed)
        let disk = SimulatedDisk(seed: random.fork())
        let ledger = Ledger()
        var problems: [String] = []
        /// Whether every failure since the last checked recovery was a kill.
        var onlyKills = true
        for round in 0..<rounds {
            let plan = script?[round] ?? randomRound(&random)
            if let operations = plan.failAfterOperations { disk.crash(afterOperations: operations, kind: plan.failure) }
            let bootBefore = disk.boot
            switch open(disk, ledger, onlyKills: onlyKills, round: round, random: &random) {
            case .failed(let problem):
                return problems + [problem]
            case .crashedInOpen:
                onlyKills = onlyKills && plan.failure == .processKill
                continue
            case .opened(let wal):
                onlyKills = true
                var worker = Worker(sequence: self, wal: wal, ledger: ledger, disk: disk, random: SeededGenerator(seed: random.fork()))
                if plan.checkpointAtStart { worker.checkpoint() }
                for _ in 0..<plan.work {
                    if disk.boot != bootBefore { break }
                    if plan.durableCommits { worker.commit(durable: true) } else { worker.step() }
                }
                problems += worker.problems
                if disk.boot == bootBefore {
                    if plan.failure == .processKill { disk.kill() } else { disk.crash() }
                }
                onlyKills = plan.failure == .processKill
                worker.wal?.abandon()
            }
            if !problems.isEmpty { return problems.map { "round \(round): \($0)" } }
        }
        // A clean close keeps everything; a power loss after it loses nothing.
        let wal: WAL<CrashEvent>
        switch open(disk, ledger, onlyKills: onlyKills, round: rounds, random: &random) {
        case .opened(let opened): wal = opened
        case .crashedInOpen: return problems + ["the disk failed in the last open, with no failure planned"]
        case .failed(let problem): return problems + [problem]
        }
        do {
            try wal.close()
            ledger.observeDurable(LSN(wal.nextLSN.rawValue - 1))
        } catch {
            return problems + ["a clean close failed: \(error)"]
        }
        disk.crash()
        if case .failed(let problem) = open(disk, ledger, onlyKills: false, round: rounds + 1, random: &random) {
            problems.append(problem)
        }
        return problems
    }

    private func randomRound(_ random: inout SeededGenerator) -> Round {
        let work = 4 + Int(random.next() % 40)
        let failure: CrashKind = random.chance(0.5) ? .processKill : .powerLoss
        let failAfter: Int? = random.chance(0.6) ? Int(random.next() % UInt64(work * 8 + 12)) : nil
        return Round(failure: failure, failAfterOperations: failAfter, work: work, checkpointAtStart: random.chance(0.3))
    }

    func options(_ disk: SimulatedDisk, recoveryMode: RecoveryMode = .strict) -> WALOptions {
        var options = WALOptions(syncMode: syncMode, segmentTargetBytes: segmentTargetBytes, recoveryMode: recoveryMode, writeMode: writeMode)
        options.fileSystem = disk.fileSystem()
        return options
    }

    enum Opening {
        case opened(WAL<CrashEvent>)
        case crashedInOpen
        case failed(String)
    }

    /// Opens the log (strict, or now and then salvage, which must agree on
    /// a healthy log), checks what came back against the ledger and
    /// settles it: from here on it is durable.
    private func open(_ disk: SimulatedDisk, _ ledger: Ledger, onlyKills: Bool, round: Int, random: inout SeededGenerator) -> Opening {
        let bootBefore = disk.boot
        let mode: RecoveryMode = random.chance(0.2) ? .salvage : .strict
        var recovered: [CommittedTransaction<CrashEvent>] = []
        do {
            let (wal, report) = try WAL<CrashEvent>.open(directory: directory, options: options(disk, recoveryMode: mode), fence: ledger.fence) {
                recovered.append($0)
            }
            if let damage = report.damage {
                return .failed("recovery \(round) found damage on a log no fault touched: \(damage)")
            }
            let problems = ledger.problems(recovered: recovered, afterKill: onlyKills)
            if !problems.isEmpty {
                try? wal.close()
                return .failed(
                    "recovery \(round) (\(onlyKills ? "after kills" : "after a power loss")): "
                        + problems.prefix(6).joined(separator: "; ") + "; the last crash kept: \(disk.lastCrashSummary ?? "-")")
            }
            ledger.settle(recovered: recovered)
            ledger.observeDurable(wal.durableLSN)
            if wal.durableLSN < LSN(wal.nextLSN.rawValue - 1) {
                // Allowed by the contract (the first sync covers the rest),
                // but then the ledger must not count on it.
                ledger.state.withLock { state in
                    for key in state.expected.keys where (state.expected[key]?.commitLSN ?? .none) > wal.durableLSN {
                        state.expected[key]?.durable = false
                    }
                }
            }
            return .opened(wal)
        } catch {
            if disk.boot != bootBefore { return .crashedInOpen }
            return .failed("recovery \(round) refused the log: \(error); the last crash kept: \(disk.lastCrashSummary ?? "-")")
        }
    }

    /// One round's work on one thread, so the fence a checkpoint sets and
    /// the LSNs handed out after it are ordered.
    struct Worker {
        let sequence: LogCrashSequence
        var wal: WAL<CrashEvent>?
        let ledger: Ledger
        let disk: SimulatedDisk
        var random: SeededGenerator
        var problems: [String] = []
        var directory: String { sequence.directory }
        /// The boot this round's process runs in: a call that returns after
        /// the disk failed returned in a dead process, and acknowledges nothing.
        let boot: Int

        init(sequence: LogCrashSequence, wal: WAL<CrashEvent>, ledger: Ledger, disk: SimulatedDisk, random: SeededGenerator) {
            self.sequence = sequence
            self.wal = wal
            self.ledger = ledger
            self.disk = disk
            self.random = random
            self.boot = disk.boot
        }

        private mutating func events(_ intent: CrashEvent.Intent) -> [CrashEvent] {
            let number = ledger.nextSequence(for: 7)
            return CrashEvent.transaction(
                writer: 7, sequence: number, count: 1 + Int(random.next() % 5), intent: intent, fillerSeed: random.next())
        }

        mutating func step() {
            switch random.next() % 100 {
            case 0..<45: commit(durable: false)
            case 45..<55: commit(durable: true)
            case 55..<65: primitive(commits: random.chance(0.7))
            case 65..<73: if let lsn = try? wal?.sync(), disk.boot == boot { ledger.observeDurable(lsn) }
            case 73..<78: try? wal?.flush()
            case 78..<90: checkpoint()
            case 90..<93: loseLogDirectory()
            default:
                if let wal, wal.durableLSN.rawValue > 0 { try? wal.waitUntilDurable(wal.durableLSN) }
            }
            if let wal, disk.boot == boot { ledger.observeDurable(wal.durableLSN) }
        }

        mutating func commit(durable: Bool) {
            guard let wal else { return }
            let events = events(.commit)
            ledger.register(events, intent: .commit)
            guard let commit = try? wal.commit(events, durability: durable ? .durable : .syncMode) else { return }
            acknowledged(events[0].key, begin: commit.beginLSN, commit: commit.commitLSN, durable: commit.isDurable)
        }

        private mutating func acknowledged(_ key: CrashEvent.Key, begin: LSN, commit: LSN, durable: Bool) {
            guard disk.boot == boot else { return }
            let fence = ledger.fence
            if begin <= fence {
                problems.append("the log handed out LSN \(begin) at or below the checkpoint fence \(fence): a recovery would skip that transaction")
            }
            ledger.acknowledge(key, begin: begin, commit: commit, durable: durable)
        }

        private mutating func primitive(commits: Bool) {
            guard let wal else { return }
            let events = events(commits ? .commit : .abort)
            do {
                let begin = try wal.begin()
                ledger.register(events, intent: commits ? .commit : .abort, begin: begin)
                for event in events { _ = try wal.append(event, to: begin) }
                if commits {
                    let commit = try wal.commit(transaction: begin)
                    // A commit marker is only appended; it reaches the kernel with the next write.
                    try wal.flush()
                    acknowledged(events[0].key, begin: begin, commit: commit, durable: false)
                } else {
                    _ = try wal.abort(begin)
                }
            } catch {
                return
            }
        }

        /// What a database checkpoint does to its log: sync, a snapshot
        /// stamped with the LSN `sync` returned (it is durable: the ledger's
        /// fence stands for it), a checkpoint marker, truncation up to it.
        mutating func checkpoint() {
            guard let wal, let lsn = try? wal.sync(), disk.boot == boot else { return }
            ledger.observeDurable(lsn)
            guard lsn > ledger.fence else { return }
            ledger.state.withLock { $0.fence = lsn }
            _ = try? wal.recordCheckpoint(snapshotLSN: lsn)
            _ = try? wal.truncate(upTo: lsn)
        }

        /// The log directory is lost or replaced right after a checkpoint
        /// (a restore from a backup into a fresh log directory): the log
        /// reopens empty with the snapshot's fence and must continue above it.
        mutating func loseLogDirectory() {
            guard let current = wal else { return }
            checkpoint()
            guard ledger.fence == LSN(current.nextLSN.rawValue - 1) else { return }
            do {
                try current.close()
                let fileSystem = disk.fileSystem()
                try fileSystem.rename(directory, to: directory + "-lost-\(random.next() % 1_000_000)")
                try fileSystem.syncDirectory("/srv")
                let (reopened, replayed, _) = try WAL<CrashEvent>.open(directory: directory, options: sequence.options(disk), fence: ledger.fence)
                if !replayed.isEmpty { problems.append("a fresh log directory replayed \(replayed.count) events") }
                wal = reopened
            } catch {
                wal = nil
            }
        }
    }
}

extension WAL {
    /// Drops a handle whose machine failed: every call on it fails, so
    /// closing only joins its background thread.
    func abandon() { try? close() }
}
