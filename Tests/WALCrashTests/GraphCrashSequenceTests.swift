import Foundation
import GraphDatabase
import GraphStore
import Testing
import WALTestSupport
import WriteAheadLog

/// One seeded sequence of failures for the graph database: open, recover,
/// check, do something with what was recovered (checkpoint, truncate the
/// log, load a snapshot, sync), write, fail (kill -9 or power loss, in the
/// middle of anything or at the end of the round), and again.
///
/// The workload is `GraphDatabaseCrashTests.transaction`, deterministic, so
/// the graph after each recovery must be the state after some prefix of it:
/// no shorter than every transaction acknowledged as durable (after kills
/// alone, every transaction acknowledged), no longer than what was tried.
struct GraphCrashSequence {
    enum Action: CaseIterable { case none, checkpoint, truncateLog, loadNewestSnapshot, sync }

    struct Round {
        var failure: CrashKind
        var failAfterOperations: Int?
        var action: Action
        var writes: Int
        var durableWrites = false
    }

    let seed: UInt64
    let syncMode: SyncMode
    let layout: StorageLayout
    let script: [Round]?
    let rounds: Int

    static let modes: [SyncMode] = [.always, .groupSync(interval: .milliseconds(2)), .groupSync(interval: .seconds(3600)), .none]
    static let maximumTransactions = 60

    init(seed: UInt64) {
        self.seed = seed
        var random = SeededGenerator(seed: seed ^ 0x6EA9_4_5E0)
        syncMode = Self.modes[Int(random.next() % UInt64(Self.modes.count))]
        layout = random.chance(0.7) ? .dataDirectory(GraphDatabaseCrashTests.root) : GraphDatabaseCrashTests.explicitLayout
        rounds = 3 + Int(random.next() % 3)
        script = nil
    }

    private init(seed: UInt64, syncMode: SyncMode, script: [Round]) {
        self.seed = seed
        self.syncMode = syncMode
        layout = .dataDirectory(GraphDatabaseCrashTests.root)
        rounds = script.count
        self.script = script
    }

    /// The sequence that lost five durable writes through graph-server:
    /// group-sync commits and a kill before the background fsync; a
    /// restart and a checkpoint; a power loss; a restart and durable
    /// writes; a clean restart.
    static let issueSequence = GraphCrashSequence(
        seed: 0x1550_0011, syncMode: .groupSync(interval: .seconds(3600)),
        script: [
            Round(failure: .processKill, action: .none, writes: 8),
            Round(failure: .powerLoss, action: .checkpoint, writes: 0),
            Round(failure: .powerLoss, action: .none, writes: 5, durableWrites: true),
        ])

    var label: String {
        let replay = script == nil ? "replay with WAL_CRASH_SEED=\(seed)" : "the scripted sequence"
        return "graph sequence seed \(seed) (\(syncMode), \(layout), \(rounds) rounds); \(replay)"
    }

    func configuration(_ disk: SimulatedDisk) -> GraphDatabaseConfiguration {
        // Managed checkpoints only in a data directory: in the explicit
        // layout they would replace the one snapshot file behind the
        // test's back, and loading it would jump ahead of the workload.
        let managed = script == nil && layout == .dataDirectory(GraphDatabaseCrashTests.root)
        return GraphDatabaseCrashTests.configuration(disk, storage: layout, syncMode: syncMode, checkpointEveryCommits: managed ? 7 : nil)
    }

    /// What the test knows, in transaction counts of the workload.
    struct Knowledge {
        /// Transactions in the graph at the last checked recovery and since.
        var applied = 0
        /// Every transaction below this was acknowledged as durable (or came back from a recovery).
        var durable = 0
        /// Every transaction below this was acknowledged (its write returned).
        var acknowledged = 0
        /// The highest count a recovery may show: every write tried.
        var attempted = 0
        /// A load of the snapshot holding this many transactions was started and may have taken effect.
        var pendingLoad: Int?
        /// The newest checkpoint that returned: its file and how many transactions it holds.
        var newestSnapshot: (path: String, count: Int)?
        /// Whether every failure since the last checked recovery was a kill.
        var onlyKills = true
        /// Recoveries that began reading the log at the snapshot's position.
        var fromPosition = 0
    }

    func run(states: [String]) -> [String] {
        var fromPosition = 0
        return run(states: states, recoveriesFromPosition: &fromPosition)
    }

    /// The sequence's failures; adds the recoveries that began reading the
    /// log at the snapshot's position to `recoveriesFromPosition`.
    func run(states: [String], recoveriesFromPosition: inout Int) -> [String] {
        var known = Knowledge()
        defer { recoveriesFromPosition += known.fromPosition }
        return run(states: states, &known)
    }

    private func run(states: [String], _ known: inout Knowledge) -> [String] {
        var random = SeededGenerator(seed: seed)
        let disk = SimulatedDisk(seed: random.fork())
        for round in 0..<rounds {
            let plan = script?[round] ?? randomRound(&random)
            if let operations = plan.failAfterOperations { disk.crash(afterOperations: operations, kind: plan.failure) }
            let bootBefore = disk.boot
            let database: GraphDatabase
            switch open(disk, &known, states: states, round: round) {
            case .failure(let problem): return [problem]
            case .crashedInOpen:
                known.onlyKills = known.onlyKills && plan.failure == .processKill
                continue
            case .opened(let opened): database = opened
            }
            act(plan.action, on: database, &known, states: states, alive: { disk.boot == bootBefore })
            for _ in 0..<plan.writes where disk.boot == bootBefore && known.applied < Self.maximumTransactions {
                write(database, durable: plan.durableWrites || random.chance(0.15), &known, alive: { disk.boot == bootBefore })
                if script == nil, random.chance(0.1) { act(.checkpoint, on: database, &known, states: states, alive: { disk.boot == bootBefore }) }
            }
            if disk.boot == bootBefore {
                if plan.failure == .processKill { disk.kill() } else { disk.crash() }
            }
            known.onlyKills = plan.failure == .processKill
            try? database.close()
        }
        switch open(disk, &known, states: states, round: rounds) {
        case .failure(let problem): return [problem]
        case .crashedInOpen: return ["\(label): the disk failed with no failure planned"]
        case .opened(let database):
            do { try database.close() } catch { return ["\(label): a clean close failed: \(error)"] }
            known.durable = known.applied
            known.acknowledged = known.applied
        }
        disk.crash()
        known.onlyKills = false
        if case .failure(let problem) = open(disk, &known, states: states, round: rounds + 1) { return [problem] }
        return []
    }

    private func randomRound(_ random: inout SeededGenerator) -> Round {
        let writes = 2 + Int(random.next() % 12)
        let failure: CrashKind = random.chance(0.5) ? .processKill : .powerLoss
        let failAfter: Int? = random.chance(0.6) ? Int(random.next() % UInt64(writes * 12 + 30)) : nil
        let action = Action.allCases[Int(random.next() % UInt64(Action.allCases.count))]
        return Round(failure: failure, failAfterOperations: failAfter, action: action, writes: writes)
    }

    enum Opening {
        case opened(GraphDatabase)
        case crashedInOpen
        case failure(String)
    }

    /// Opens the database and checks the graph it recovered.
    private func open(_ disk: SimulatedDisk, _ known: inout Knowledge, states: [String], round: Int) -> Opening {
        let bootBefore = disk.boot
        let database: GraphDatabase
        do {
            let (opened, recovery) = try GraphDatabase.open(configuration(disk))
            database = opened
            if case .used = recovery.wal?.fencePosition { known.fromPosition += 1 }
        } catch {
            if disk.boot != bootBefore { return .crashedInOpen }
            return .failure("\(label), recovery \(round): refused: \(error); the last crash kept: \(disk.lastCrashSummary ?? "-")")
        }
        let dump = database.snapshot.dump()
        let upper = min(known.attempted, states.count - 1)
        guard let count = states[0...upper].lastIndex(of: dump) else {
            try? database.close()
            return .failure("\(label), recovery \(round): the graph is no prefix of the workload (\(known.attempted) tried)")
        }
        if let problem = Self.labelIndexProblem(database.snapshot) {
            try? database.close()
            return .failure("\(label), recovery \(round): \(problem)")
        }
        var required = known.onlyKills ? known.acknowledged : known.durable
        if let load = known.pendingLoad { required = min(required, load) }
        if count < required {
            try? database.close()
            return .failure(
                "\(label), recovery \(round) (\(known.onlyKills ? "after kills" : "after a power loss")): the graph holds \(count) transactions, but \(required) were acknowledged\(known.onlyKills ? "" : " as durable"); the last crash kept: \(disk.lastCrashSummary ?? "-")"
            )
        }
        // What a recovery shows is durable from now on.
        known.applied = count
        known.durable = count
        known.acknowledged = count
        known.attempted = count
        known.pendingLoad = nil
        known.onlyKills = true
        return .opened(database)
    }

    /// What is wrong with the recovered label index, if anything: each
    /// label's pages must list exactly the nodes carrying it. The dump
    /// compared above is built from the records, so it does not see the
    /// index, which recovery rebuilds by its own path (replay, snapshot load).
    static func labelIndexProblem(_ store: GraphStore) -> String? {
        var carrying: [String: [NodeID]] = [:]
        var all = store.nodes(limit: 1000)
        while true {
            for node in all.items { for label in node.labels { carrying[label, default: []].append(node.id) } }
            guard let next = all.nextCursor else { break }
            all = store.nodes(limit: 1000, after: next)
        }
        if store.labels != carrying.keys.sorted() {
            return "the label index lists labels \(store.labels), the nodes carry \(carrying.keys.sorted())"
        }
        for (label, expected) in carrying {
            var indexed: [NodeID] = []
            var page = store.nodes(label: label, limit: 1000)
            while true {
                indexed += page.items.map(\.id)
                guard let next = page.nextCursor else { break }
                page = store.nodes(label: label, limit: 1000, after: next)
            }
            if indexed != expected || store.stats.nodesPerLabel[label] != expected.count {
                return "the label index of \(label) holds \(indexed.count) nodes (counted \(store.stats.nodesPerLabel[label] ?? 0)), \(expected.count) carry it"
            }
        }
        return nil
    }

    /// A write that returned after the disk failed returned in a dead
    /// process: `alive` says whether the process still lives, and only then
    /// does a result count as acknowledged.
    private func write(_ database: GraphDatabase, durable: Bool, _ known: inout Knowledge, alive: () -> Bool) {
        let sequence = known.applied
        known.attempted = max(known.attempted, sequence + 1)
        guard let result = try? database.write(durable: durable, { try GraphDatabaseCrashTests.transaction(sequence, &$0) }), alive()
        else { return }
        known.applied = sequence + 1
        known.acknowledged = known.applied
        if result.isDurable { known.durable = known.applied }
    }

    private func act(_ action: Action, on database: GraphDatabase, _ known: inout Knowledge, states: [String], alive: () -> Bool) {
        switch action {
        case .none:
            return
        case .checkpoint:
            guard let result = try? database.checkpoint(), alive() else { return }
            known.durable = known.applied
            known.newestSnapshot = (result.path, known.applied)
        case .truncateLog:
            _ = try? database.truncateLog()
        case .sync:
            if (try? database.sync()) != nil, alive() { known.durable = known.applied }
        case .loadNewestSnapshot:
            guard let (path, count) = known.newestSnapshot, count <= known.applied else { return }
            known.pendingLoad = count
            guard (try? database.loadSnapshot(from: path)) != nil, alive() else { return }
            // The file may hold more than the checkpoint that named it
            // said, when a later checkpoint wrote it and then failed: the
            // graph loaded says what it holds.
            let loaded = states.lastIndex(of: database.snapshot.dump()) ?? count
            known.pendingLoad = nil
            known.applied = loaded
            known.durable = loaded
            known.acknowledged = loaded
        }
    }
}

@Suite("Sequences of kills and power losses on a simulated disk")
struct CrashSequenceTests {
    static func seeds(_ count: Int, offset: UInt64, shard: Int = 0) -> [UInt64] {
        if let replay = CrashTestPlan.replaySeed { return shard == 0 ? [replay] : [] }
        return (0..<(count * CrashTestPlan.soak)).map { CrashTestPlan.baseSeed &+ offset &+ UInt64($0) }
    }

    @Test("the sequence that lost durable writes: kill, recover, checkpoint, power loss, durable commits, restart (log)")
    func issueSequenceForTheLog() throws {
        let problems = try onThread { LogCrashSequence.issueSequence.run() }
        for problem in problems { Issue.record(Comment(rawValue: "\(LogCrashSequence.issueSequence.label): \(problem)")) }
    }

    @Test("the sequence that lost durable writes: kill, recover, checkpoint, power loss, durable writes, restart (graph database)")
    func issueSequenceForTheGraph() throws {
        let states = try GraphDatabaseCrashTests.expectedStates(count: GraphCrashSequence.maximumTransactions + 1)
        let problems = try onThread { GraphCrashSequence.issueSequence.run(states: states) }
        for problem in problems { Issue.record(Comment(rawValue: problem)) }
    }

    @Test("seeded sequences of kills, power losses, checkpoints and lost log directories keep every promise (log)", arguments: 0..<2)
    func logSequences(shard: Int) throws {
        let seeds = Self.seeds(150, offset: 0x7_0000 + UInt64(shard) * 0x1000, shard: shard)
        let failures = try onThread {
            var failures: [String] = []
            for seed in seeds {
                let sequence = LogCrashSequence(seed: seed)
                let problems = sequence.run()
                if !problems.isEmpty { failures.append("\(sequence.label):\n  " + problems.prefix(6).joined(separator: "\n  ")) }
                if failures.count >= 3 { break }
            }
            return failures
        }
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
        print("log crash sequences, shard \(shard): \(seeds.count) sequences, \(failures.count) failed")
    }

    @Test("seeded sequences of kills, power losses, checkpoints, truncations and snapshot loads keep every promise (graph database)")
    func graphSequences() throws {
        let states = try GraphDatabaseCrashTests.expectedStates(count: GraphCrashSequence.maximumTransactions + 1)
        let seeds = Self.seeds(200, offset: 0x8_0000)
        let (failures, fromPosition) = try onThread {
            var failures: [String] = []
            var fromPosition = 0
            for seed in seeds {
                failures += GraphCrashSequence(seed: seed).run(states: states, recoveriesFromPosition: &fromPosition)
                if failures.count >= 3 { break }
            }
            return (failures, fromPosition)
        }
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
        // The sequences cover recovery from a snapshot's log position.
        #expect(fromPosition > 20, "recoveries that began at a snapshot's log position: \(fromPosition)")
        print("graph crash sequences: \(seeds.count) sequences, \(failures.count) failed, \(fromPosition) recoveries from a log position")
    }
}
