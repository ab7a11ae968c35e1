import Foundation
import GraphDatabase
import GraphStore
import Logging
import Testing
import WALTestSupport
import WriteAheadLog

#if canImport(Glibc)
import Glibc
#endif

/// The graph database on a simulated disk: snapshots, checkpoints and the
/// log together must survive power loss and failed snapshot writes with
/// every acknowledged transaction, and never show half of one.
@Suite("GraphDatabase under power loss and snapshot faults")
struct GraphDatabaseCrashTests {
    static let root = "/db"
    static let walDirectory = "/db/wal"
    static let snapshotPath = "/db/graph.snap"

    /// Transaction `sequence` of the deterministic workload: a node, an edge
    /// to the node before, a property change, and now and then a deletion.
    /// Labels come in runs of five (`Run`) and in turn (`Even`, `Odd`), the
    /// two ways the label index keeps a label, which recovery rebuilds.
    /// Ids are allocated deterministically, so the same sequence applied to
    /// an in-memory database reproduces the state after each commit.
    static func transaction(_ sequence: Int, _ tx: inout WriteTransaction) throws {
        let node = try tx.createNode(
            labels: (sequence / 5) % 2 == 0 ? ["Run"] : (sequence % 2 == 0 ? ["Even"] : ["Odd"]),
            properties: ["sequence": .int(Int64(sequence)), "payload": .string(String(repeating: "x", count: 40 + sequence % 60))])
        if sequence > 0 {
            let previous = NodeID(node.rawValue - 1)
            if tx.store.node(previous) != nil {
                try tx.createRelationship(type: "NEXT", from: previous, to: node, properties: ["at": .int(Int64(sequence))])
                try tx.setNodeProperty(previous, key: "followedBy", value: .int(Int64(sequence)))
            }
        }
        if sequence % 7 == 6 { try tx.detachDeleteNode(NodeID(node.rawValue - 2)) }
    }

    /// The dump after each prefix of the workload: `states[i]` is the graph
    /// once transactions `0..<i` committed.
    static func expectedStates(count: Int) throws -> [String] {
        let (shadow, _) = try GraphDatabase.open(GraphDatabaseConfiguration(storage: .inMemory))
        var states = [shadow.snapshot.dump()]
        for sequence in 0..<count {
            try shadow.write { try transaction(sequence, &$0) }
            states.append(shadow.snapshot.dump())
        }
        return states
    }

    static func configuration(
        _ disk: SimulatedDisk, storage: StorageLayout, syncMode: SyncMode = .always, checkpointEveryCommits: Int? = nil
    ) -> GraphDatabaseConfiguration {
        var wal = WALOptions(syncMode: syncMode, segmentTargetBytes: 2048)
        wal.fileSystem = disk.fileSystem()
        // Crashed machines make managed checkpoints fail by the hundred;
        // the assertions say what matters, the log lines would drown it.
        return GraphDatabaseConfiguration(
            storage: storage, wal: wal, checkpointEveryCommits: checkpointEveryCommits, checkpointEveryBytes: nil, keepSnapshots: 2,
            logger: Logger(label: "graph-crash-tests", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    static let explicitLayout = StorageLayout.explicit(walDirectory: walDirectory, snapshotPath: snapshotPath, restoreFrom: nil)

    // MARK: A failed snapshot write

    enum SnapshotFault: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case createFails, diskFullOnWrite, shortWrite, fsyncFails, renameFails, directorySyncFails
        var testDescription: String { rawValue }

        var rule: FaultRule {
            switch self {
            case .createFails: FaultRule(.create, errno: ENOSPC, pathContains: "graph.snap.tmp")
            case .diskFullOnWrite: FaultRule(.write, errno: ENOSPC, pathContains: "graph.snap.tmp")
            case .shortWrite: FaultRule(.write, errno: ENOSPC, pathContains: "graph.snap.tmp", shortWrite: true)
            case .fsyncFails: FaultRule(.fileSync, errno: EIO, pathContains: "graph.snap.tmp")
            case .renameFails: FaultRule(.rename, errno: EIO, pathContains: "graph.snap")
            case .directorySyncFails: FaultRule(.directorySync, errno: EIO, pathContains: "/db")
            }
        }
    }

    @Test("a failure while writing a snapshot leaves the previous one intact, and nothing committed is lost", arguments: SnapshotFault.allCases)
    func failedSnapshotWrite(fault: SnapshotFault) throws {
        let disk = SimulatedDisk(seed: UInt64(SnapshotFault.allCases.firstIndex(of: fault) ?? 0) + 100)
        let states = try Self.expectedStates(count: 30)
        try onThread {
            let (database, _) = try GraphDatabase.open(Self.configuration(disk, storage: Self.explicitLayout))
            for sequence in 0..<10 { try database.write { try Self.transaction(sequence, &$0) } }
            let first = try database.checkpoint()
            let previous = try #require(disk.contents(of: Self.snapshotPath))
            for sequence in 10..<20 { try database.write { try Self.transaction(sequence, &$0) } }

            disk.inject(fault.rule)
            let error = #expect(throws: GraphDatabaseError.self) { try database.checkpoint() }
            #expect(error?.description.contains(Self.snapshotPath) == true, "the error names the snapshot: \(String(describing: error))")
            let now = try #require(disk.contents(of: Self.snapshotPath))
            if fault == .directorySyncFails {
                // The rename happened; only its durability is in doubt. Either
                // file is a whole, valid snapshot.
                #expect(now == previous || (try? GraphStore.decodeSnapshot(now)) != nil)
            } else {
                #expect(now == previous, "the previous snapshot is untouched")
            }

            // The log was neither marked nor truncated past the old snapshot,
            // and writes go on.
            for sequence in 20..<30 { try database.write { try Self.transaction(sequence, &$0) } }
            #expect(database.snapshot.dump() == states[30])

            disk.crash()
            try? database.close()
            disk.clearFaults()
            let (recovered, report) = try GraphDatabase.open(Self.configuration(disk, storage: Self.explicitLayout))
            defer { try? recovered.close() }
            #expect(recovered.snapshot.dump() == states[30], "every transaction acknowledged under always survives")
            #expect(report.snapshotPath == Self.snapshotPath)
            if fault != .directorySyncFails { #expect(report.snapshotLSN == first.walLSN) }
        }
    }

    // MARK: Power loss at random moments

    /// One seeded scenario: a workload with inline and managed checkpoints
    /// on a data directory, a power loss after a random number of disk
    /// operations, recovery, more writes, a second power loss, recovery.
    struct Scenario {
        let seed: UInt64
        static let transactions = 24

        /// What went wrong, empty when the scenario held every promise.
        func run(states: [String]) -> [String] {
            var random = SeededGenerator(seed: seed)
            let disk = SimulatedDisk(seed: random.fork())
            let syncMode: SyncMode = random.chance(0.5) ? .always : .none
            let layout: StorageLayout = random.chance(0.7) ? .dataDirectory(GraphDatabaseCrashTests.root) : GraphDatabaseCrashTests.explicitLayout
            let configuration = { GraphDatabaseCrashTests.configuration(disk, storage: layout, syncMode: syncMode, checkpointEveryCommits: 5) }
            let label = "seed \(seed) (\(syncMode), \(layout))"
            disk.crash(afterOperations: Int(random.next() % 400))

            // Acknowledged-durable transactions: under always every write
            // that returned; under none those a later durable write or
            // checkpoint covered.
            var durable = 0
            var attempted = 0
            if let (database, _) = try? GraphDatabase.open(configuration()) {
                for sequence in 0..<Self.transactions {
                    attempted = sequence + 1
                    let forceDurable = syncMode == .none && random.chance(0.25)
                    guard let result = try? database.write(durable: forceDurable, { try GraphDatabaseCrashTests.transaction(sequence, &$0) })
                    else { break }
                    if result.isDurable { durable = sequence + 1 }
                    if random.chance(0.15) {
                        guard (try? database.checkpoint()) != nil else { break }
                        durable = sequence + 1
                    }
                }
                if disk.boot == 0 { disk.crash() }
                try? database.close()
            } else if disk.boot == 0 {
                disk.crash()
            }

            // First recovery: a committed prefix holding every durable commit.
            var problems: [String] = []
            guard let (recovered, _) = Self.open(configuration, label: label, problems: &problems) else { return problems }
            let dump = recovered.snapshot.dump()
            guard let prefix = states[0...attempted].lastIndex(of: dump) else {
                try? recovered.close()
                return ["\(label): the recovered graph is no committed prefix of the workload (\(attempted) attempted)"]
            }
            if prefix < durable { problems.append("\(label): recovered \(prefix) transactions, but \(durable) were durable") }

            // The recovered database takes writes and survives a second loss.
            do {
                try recovered.write(durable: true) { try GraphDatabaseCrashTests.transaction(prefix, &$0) }
                if random.chance(0.5) { try recovered.checkpoint() }
            } catch {
                problems.append("\(label): the recovered database refused a write: \(error)")
            }
            disk.crash()
            try? recovered.close()
            guard let (second, _) = Self.open(configuration, label: label + " second crash", problems: &problems) else { return problems }
            if second.snapshot.dump() != states[prefix + 1] {
                problems.append("\(label): after the second crash the graph is not the \(prefix + 1)-transaction state")
            }
            try? second.close()
            return problems
        }

        static func open(
            _ configuration: () -> GraphDatabaseConfiguration, label: String, problems: inout [String]
        ) -> (GraphDatabase, RecoveryReport)? {
            do {
                return try GraphDatabase.open(configuration())
            } catch {
                problems.append("\(label): recovery refused: \(error)")
                return nil
            }
        }
    }

    @Test("a power loss at any moment keeps every durable transaction, shows a committed prefix, and recovers twice")
    func powerLossAtRandomMoments() throws {
        let states = try Self.expectedStates(count: Scenario.transactions + 1)
        let seeds: [UInt64] =
            if let replay = CrashTestPlan.replaySeed { [replay] } else {
                (0..<(400 * CrashTestPlan.soak)).map { CrashTestPlan.baseSeed &+ 0x6_0000 &+ UInt64($0) }
            }
        let failures = try onThread {
            var failures: [String] = []
            for seed in seeds {
                failures += Scenario(seed: seed).run(states: states)
                if failures.count >= 5 { break }
            }
            return failures
        }
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
        print("graph database crash tests: \(seeds.count) scenarios, \(failures.count) failures")
    }
}

// MARK: - Restore paths: loading a snapshot, and the single snapshot file of the explicit layout

/// `loadSnapshot` and explicit-layout checkpoints under failed disk
/// operations and power loss: memory and what a restart recovers must agree
/// on the old graph or the new one, and the log must reach back to whatever
/// snapshot comes back.
extension GraphDatabaseCrashTests {
    static let exportPath = "/export.snap"

    static func layout(explicit: Bool) -> StorageLayout { explicit ? explicitLayout : .dataDirectory(root) }

    /// A database holding transactions `0..<20`, checkpointed after 10, with
    /// the 10-transaction graph exported to ``exportPath``.
    static func restoreSetup(_ disk: SimulatedDisk, explicit: Bool) throws -> GraphDatabase {
        let (database, _) = try GraphDatabase.open(configuration(disk, storage: layout(explicit: explicit)))
        for sequence in 0..<10 { try database.write { try transaction(sequence, &$0) } }
        try database.saveSnapshot(to: exportPath)
        try database.checkpoint()
        for sequence in 10..<20 { try database.write { try transaction(sequence, &$0) } }
        return database
    }

    @Test("a failure at any step of loadSnapshot leaves the old graph in memory and after a restart, or the loaded one in both", arguments: [false, true])
    func loadSnapshotFaults(explicit: Bool) throws {
        let states = try Self.expectedStates(count: 20)
        let operations: [SimulatedOperation] = [.write, .fileSync, .directorySync, .create, .rename, .remove, .truncate]
        let problems = try onThread {
            var problems: [String] = []
            for operation in operations {
                for skip in 0..<6 {
                    let disk = SimulatedDisk(seed: 0x10AD + UInt64(skip))
                    let database = try Self.restoreSetup(disk, explicit: explicit)
                    disk.inject(FaultRule(operation, errno: EIO, skip: skip))
                    let loaded = (try? database.loadSnapshot(from: Self.exportPath)) != nil
                    let memory = database.snapshot.dump()
                    let label = "\(operation) failing at match \(skip + 1), load \(loaded ? "returned" : "threw")"
                    if memory != (loaded ? states[10] : states[20]) { problems.append("\(label): memory holds a third graph") }
                    disk.crash()
                    try? database.close()
                    disk.clearFaults()
                    do {
                        let (recovered, _) = try GraphDatabase.open(Self.configuration(disk, storage: Self.layout(explicit: explicit)))
                        if recovered.snapshot.dump() != memory { problems.append("\(label): a restart recovers another graph than memory held") }
                        try? recovered.close()
                    } catch {
                        problems.append("\(label): recovery refused: \(error)")
                    }
                }
            }
            return problems
        }
        for problem in problems { Issue.record(Comment(rawValue: problem)) }
    }

    /// What one run of a power-loss sweep's scenario did, and what it allows.
    struct SweepOutcome {
        /// Appended to the crash point in problem reports.
        var note = ""
        /// The graphs (dumps) a restart may recover after it.
        var allowed: [String]
        /// A problem to report if the scenario ran to its end without the crash.
        var problemIfUninterrupted: String? = nil
    }

    /// Loses power after 0, 1, 2, … disk operations of `scenario` (run on a
    /// database `setup` prepared on a fresh disk) until a run ends before the
    /// crash is due; after each, a restart must recover one of the graphs the
    /// outcome allows. Returns what went wrong.
    static func sweepPowerLoss(
        seed: UInt64, explicit: Bool, setup: (SimulatedDisk) throws -> GraphDatabase, scenario: (GraphDatabase) -> SweepOutcome
    ) throws -> [String] {
        var problems: [String] = []
        for crashAfter in 0..<200 {
            let disk = SimulatedDisk(seed: seed + UInt64(crashAfter))
            let database = try setup(disk)
            disk.crash(afterOperations: crashAfter)
            let outcome = scenario(database)
            let completed = disk.boot == 0
            if completed {
                if let problem = outcome.problemIfUninterrupted { problems.append(problem) }
                disk.crash()
            }
            try? database.close()
            let label = "crash after \(crashAfter) operations\(outcome.note)"
            do {
                let (recovered, _) = try GraphDatabase.open(configuration(disk, storage: layout(explicit: explicit)))
                if !outcome.allowed.contains(recovered.snapshot.dump()) { problems.append("\(label): recovered none of the graphs allowed") }
                try? recovered.close()
            } catch {
                problems.append("\(label): recovery refused: \(error)")
            }
            if completed { break }
        }
        return problems
    }

    /// Kills the process after 0, 1, 2, … disk operations of `scenario`;
    /// restarts, closes cleanly and loses power: the second restart must
    /// recover exactly the graph the first one showed, since a restart
    /// reports what it recovered as durable. A kill leaves everything in the
    /// page cache, so a snapshot renamed into place without its directory
    /// fsync is seen by the first restart and lost by the power loss.
    static func sweepKillThenPowerLoss(
        seed: UInt64, explicit: Bool, setup: (SimulatedDisk) throws -> GraphDatabase, scenario: (GraphDatabase) -> Void
    ) throws -> [String] {
        var problems: [String] = []
        let configuration = { (disk: SimulatedDisk) in Self.configuration(disk, storage: layout(explicit: explicit)) }
        // A power loss keeps a seeded subset of what was not fsynced: a few
        // seeds per kill point make losing each part of it near certain.
        for killAfter in 0..<200 {
          for trial in 0..<8 {
            let disk = SimulatedDisk(seed: seed + UInt64(killAfter * 8 + trial))
            let database = try setup(disk)
            disk.kill(afterOperations: killAfter)
            scenario(database)
            let completed = disk.boot == 0
            if completed { disk.kill() }
            try? database.close()
            let label = "kill after \(killAfter) operations (trial \(trial))"
            do {
                let (first, _) = try GraphDatabase.open(configuration(disk))
                let shown = first.snapshot.dump()
                try first.close()
                let summary = disk.crash()
                let (second, _) = try GraphDatabase.open(configuration(disk))
                if second.snapshot.dump() != shown {
                    problems.append("\(label): the restart after it showed one graph, a power loss after a clean close brought back another (\(summary))")
                }
                try? second.close()
            } catch {
                problems.append("\(label): recovery refused: \(error)")
            }
            if completed { return problems }
          }
        }
        return problems
    }

    @Test("a kill at any moment of loadSnapshot or a checkpoint, a restart and a power loss: the graph the restart showed survives", arguments: [false, true])
    func killThenPowerLoss(explicit: Bool) throws {
        let problems = try onThread {
            let load = try Self.sweepKillThenPowerLoss(seed: 0x1D1E_0000, explicit: explicit, setup: { try Self.restoreSetup($0, explicit: explicit) }) {
                _ = try? $0.loadSnapshot(from: Self.exportPath)
            }
            let checkpoint = try Self.sweepKillThenPowerLoss(seed: 0x1D1E_1000, explicit: explicit, setup: { try Self.restoreSetup($0, explicit: explicit) }) {
                _ = try? $0.checkpoint()
            }
            return load.map { "loadSnapshot, \($0)" } + checkpoint.map { "checkpoint, \($0)" }
        }
        for problem in problems { Issue.record(Comment(rawValue: problem)) }
    }

    @Test("a power loss at any moment of loadSnapshot recovers the old graph or the loaded one, and a load that returned survives with the writes after it", arguments: [false, true])
    func loadSnapshotPowerLoss(explicit: Bool) throws {
        let states = try Self.expectedStates(count: 20)
        let problems = try onThread {
            try Self.sweepPowerLoss(seed: 0x10AD_0000, explicit: explicit, setup: { try Self.restoreSetup($0, explicit: explicit) }) { database in
                guard (try? database.loadSnapshot(from: Self.exportPath)) != nil else {
                    return SweepOutcome(note: ", load threw", allowed: [states[20], states[10]])
                }
                // On the loaded graph, transactions 10... lead through the same states again.
                var acknowledged = 10
                for sequence in 10..<15 {
                    guard (try? database.write({ try Self.transaction(sequence, &$0) })) != nil else { break }
                    acknowledged += 1
                }
                return SweepOutcome(
                    note: ", load returned, \(acknowledged - 10) writes after it acknowledged",
                    allowed: [states[acknowledged], states[min(acknowledged + 1, 15)]])
            }
        }
        for problem in problems { Issue.record(Comment(rawValue: problem)) }
    }

    @Test("a power loss at any moment of a checkpoint loses no acknowledged transaction: the log covers everything after the snapshot that comes back", arguments: [true, false])
    func checkpointPowerLoss(explicit: Bool) throws {
        let states = try Self.expectedStates(count: 45)
        let problems = try onThread {
            try Self.sweepPowerLoss(
                seed: 0xC4EC_0000, explicit: explicit,
                setup: { disk in
                    let (database, _) = try GraphDatabase.open(Self.configuration(disk, storage: Self.layout(explicit: explicit)))
                    for sequence in 0..<10 { try database.write { try Self.transaction(sequence, &$0) } }
                    try database.checkpoint()
                    // Enough log that the checkpoint has whole segments to delete.
                    for sequence in 10..<40 { try database.write { try Self.transaction(sequence, &$0) } }
                    return database
                }
            ) { database in
                let checkpoint = try? database.checkpoint()
                var acknowledged = 40
                for sequence in 40..<45 {
                    guard (try? database.write({ try Self.transaction(sequence, &$0) })) != nil else { break }
                    acknowledged += 1
                }
                // The explicit layout truncates up to the one snapshot; a data
                // directory keeps two, so only up to the older one.
                let provesLittle = explicit && checkpoint?.truncatedSegments.isEmpty != false
                return SweepOutcome(
                    note: ", \(acknowledged) acknowledged", allowed: [states[acknowledged], states[min(acknowledged + 1, 45)]],
                    problemIfUninterrupted: provesLittle ? "the checkpoint that ran to its end truncated no segment: the sweep proves little" : nil)
            }
        }
        for problem in problems { Issue.record(Comment(rawValue: problem)) }
    }
}
