import Foundation
import Testing
import WALTestSupport
import WriteAheadLog

/// How many scenarios to run, and from which seed: `WAL_CRASH_SEED=N`
/// replays one scenario; `WAL_CRASH_SOAK=N` runs N times the CI count.
enum CrashTestPlan {
    static let shards = 4
    static let scenariosPerShard = 400

    static var replaySeed: UInt64? {
        guard let text = ProcessInfo.processInfo.environment["WAL_CRASH_SEED"] else { return nil }
        return UInt64(text) ?? UInt64(text.replacingOccurrences(of: "0x", with: ""), radix: 16)
    }

    static var soak: Int {
        max(1, Int(ProcessInfo.processInfo.environment["WAL_CRASH_SOAK"] ?? "") ?? 1)
    }

    /// A fresh base seed per run (printed), so CI keeps exploring.
    static let baseSeed: UInt64 = {
        let seed = UInt64.random(in: 0..<(1 << 40))
        print("WAL crash tests: base seed \(seed)")
        return seed
    }()

    static func seeds(shard: Int) -> [UInt64] {
        if let replaySeed { return shard == 0 ? [replaySeed] : [] }
        let count = scenariosPerShard * soak
        return (0..<count).map { baseSeed &+ UInt64($0 * shards + shard) }
    }
}

struct Tally: Sendable {
    var crashes: Int
    var midWorkload: Int
    var tornTails: Int
    var salvaged: Int
    var recovered: Int
    var failures: [String]
}

@Suite("Randomized crashes on a simulated disk")
struct RandomizedCrashTests {
    @Test("every acknowledged commit survives a crash, nothing uncommitted appears, and recovery is a prefix", arguments: 0..<CrashTestPlan.shards)
    func crashesAtRandomPoints(shard: Int) throws {
        let seeds = CrashTestPlan.seeds(shard: shard)
        let outcome = try onThread {
            var crashes = 0
            var recovered = 0
            var midWorkload = 0
            var tornTails = 0
            var salvaged = 0
            var failures: [String] = []
            for seed in seeds {
                let scenario = CrashScenario(seed: seed)
                let result = scenario.run()
                crashes += result.crashes
                recovered += result.recovered
                midWorkload += result.midWorkloadCrashes
                tornTails += result.tornTails
                salvaged += result.salvaged
                if !result.problems.isEmpty {
                    failures.append("\(scenario.label):\n  " + result.problems.prefix(12).joined(separator: "\n  "))
                    if failures.count >= 3 { break }
                }
            }
            return Tally(crashes: crashes, midWorkload: midWorkload, tornTails: tornTails, salvaged: salvaged, recovered: recovered, failures: failures)
        }
        for failure in outcome.failures { Issue.record(Comment(rawValue: failure)) }
        print(
            "shard \(shard): \(seeds.count) scenarios, \(outcome.crashes) crash points (\(outcome.midWorkload) while the log was working), \(outcome.tornTails) torn tails cut, \(outcome.salvaged) salvaged after a failed fsync, \(outcome.recovered) transactions recovered"
        )
    }
}
