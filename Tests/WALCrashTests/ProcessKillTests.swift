import Foundation
import Testing
import WALTestSupport
import WriteAheadLog

#if canImport(Glibc)
import Glibc
#endif

/// The real thing: a child process commits on the real file system and
/// prints every acknowledged commit; it is killed with SIGKILL at random
/// moments, again and again on the same directory. A killed process loses
/// nothing the kernel has, so every acknowledged commit must be there, with
/// its LSN, and strict recovery must open the log (a torn tail is cut;
/// nothing torn is returned). Under `always` a commit is acknowledged once
/// fsynced (segments written with `pwrite`); under `groupsync` and `none`
/// once copied into the mapped segment, which the flusher prefaults and
/// rotation truncates meanwhile.
@Suite("Killing a real writer process")
struct ProcessKillTests {
    /// `wal-crash-child`, built next to the test bundle.
    static func childExecutable() throws -> URL {
        try ChildProcess.executable("wal-crash-child")
    }

    struct Acknowledged: Hashable {
        var key: CrashEvent.Key
        var commitLSN: LSN
    }

    /// Runs the child until `killAfter` past its "ready" line, kills it,
    /// and returns every commit it acknowledged.
    static func runAndKill(_ executable: URL, directory: String, mode: String, killAfter: Duration) throws -> [Acknowledged] {
        let child = try ChildProcess(executable, [directory, "2", mode])
        #expect(child.wait(until: { $0.contains("\n") }, timeout: .seconds(30)), "the child never said it was ready")
        let (seconds, attoseconds) = killAfter.components
        Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
        let text = child.kill().joined(separator: "\n")

        var acknowledged: [Acknowledged] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("ready") { continue }
            let fields = line.split(separator: " ")
            guard fields.count == 3, let writer = UInt16(fields[0]), let sequence = UInt32(fields[1]), let lsn = UInt64(fields[2]) else {
                Issue.record("the child said: \(line)")
                continue
            }
            acknowledged.append(Acknowledged(key: CrashEvent.Key(writer: writer, sequence: sequence), commitLSN: LSN(lsn)))
        }
        return acknowledged
    }

    @Test("SIGKILL at random moments loses no acknowledged commit and returns nothing torn", arguments: ["always", "groupsync", "none"])
    func killRepeatedly(mode: String) throws {
        let executable = try Self.childExecutable()
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("wal-kill-\(UInt64.random(in: 0..<UInt64.max))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let seed = ProcessInfo.processInfo.environment["WAL_CRASH_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0..<(1 << 40))
        var random = SeededGenerator(seed: seed)
        let rounds = 24 * CrashTestPlan.soak

        var acknowledged: [CrashEvent.Key: LSN] = [:]
        var killsMidCommit = 0
        for round in 0..<rounds {
            let delay = Duration.milliseconds(Int(random.next() % 120))
            let acks = try onThread { try Self.runAndKill(executable, directory: directory, mode: mode, killAfter: delay) }
            if !acks.isEmpty { killsMidCommit += 1 }
            for ack in acks { acknowledged[ack.key] = ack.commitLSN }

            // Recover as the next process would, and check.
            var recovered: [CrashEvent.Key: (LSN, [CrashEvent])] = [:]
            var order: [LSN] = []
            let report = try WAL<CrashEvent>.replay(directory: directory) { transaction in
                guard let key = transaction.events.first?.key else { return }
                recovered[key] = (transaction.commitLSN, transaction.events)
                order.append(transaction.commitLSN)
            }
            #expect(report.damage == nil)
            #expect(order == order.sorted(), "seed \(seed) round \(round): recovery is out of commit order")
            for (key, lsn) in acknowledged {
                guard let (recoveredLSN, _) = recovered[key] else {
                    Issue.record("\(mode), seed \(seed) round \(round): acknowledged commit \(key) at \(lsn) is lost")
                    continue
                }
                #expect(recoveredLSN == lsn, "seed \(seed) round \(round): \(key) committed at \(lsn), recovered at \(recoveredLSN)")
            }
            // Every transaction that came back, acknowledged or written just
            // before the kill, is exactly what the child committed.
            for (key, (_, events)) in recovered {
                #expect(events == CrashEvent.transaction(writer: key.writer, sequence: key.sequence, count: 1 + Int(key.sequence % 3)))
            }
        }
        print("kill -9 test (\(mode)): seed \(seed), \(rounds) kills (\(killsMidCommit) while committing), \(acknowledged.count) acknowledged commits checked")
    }
}
