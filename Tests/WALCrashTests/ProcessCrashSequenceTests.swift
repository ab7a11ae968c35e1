import Foundation
import Testing
import WALTestSupport
import WriteAheadLog

/// The crash sequence that lost durable writes, with real processes on the
/// real file system: each step is a `graph-crash-child` run killed with
/// SIGKILL, and the power losses are simulated from the fsyncs the children
/// recorded (`ShadowFileSystem`): nothing that no fsync covered survives.
@Suite("A sequence of kills and power losses with real processes")
struct ProcessCrashSequenceTests {
    static func acknowledged(_ lines: [String]) -> [Int] {
        lines.compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count == 3 && fields[0] == "ack" ? Int(fields[1]) : nil
        }
    }

    static func ready(_ lines: [String]) -> Int? {
        lines.first { $0.hasPrefix("ready ") }.flatMap { Int($0.dropFirst(6)) }
    }

    @Test("kill before the fsync, recover and checkpoint, lose power, write durably, lose power again: every acknowledged write survives", arguments: ["always", "groupsync", "none"])
    func killCheckpointPowerLossDurableWrites(mode: String) throws {
        let child = try ChildProcess.executable("graph-crash-child")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("graph-sequence-\(UInt64.random(in: 0..<UInt64.max))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (data, shadow) = (root + "/data", root + "/shadow")
        let run = { @Sendable (step: [String]) in try ChildProcess.runUntilDoneThenKill(child, [data, shadow, mode] + step) }

        // 1. Writes acknowledged once in the kernel (or fsynced, under always); killed.
        let first = try onThread { try run(["write", "0", "20", "plain"]) }
        #expect(Self.acknowledged(first) == Array(0..<20), "\(mode): \(first.suffix(3))")

        // 2. A restart recovers all of them and checkpoints; killed.
        let second = try onThread { try run(["checkpoint"]) }
        #expect(Self.ready(second) == 20, "\(mode): a kill lost acknowledged writes: \(second.prefix(2))")
        #expect(second.contains { $0.hasPrefix("checkpoint ") }, "\(mode): \(second.suffix(3))")

        // 3. Power loss: only what fsyncs covered is left.
        try ShadowFileSystem.losePower(root: data, shadow: shadow)

        // 4. A restart, then durable writes, each acknowledged as durable; killed, and power lost again.
        let third = try onThread { try run(["write", "20", "5", "durable"]) }
        #expect(Self.ready(third) == 20, "\(mode): the power loss took what the checkpoint covered: \(third.prefix(2))")
        #expect(third.filter { $0.hasSuffix(" durable") }.count == 5, "\(mode): \(third.suffix(3))")
        try ShadowFileSystem.losePower(root: data, shadow: shadow)

        // 5. A clean restart holds every acknowledged write.
        let last = try onThread { try run(["list"]) }
        let nodes = Set(last.compactMap { $0.hasPrefix("node ") ? Int($0.dropFirst(5)) : nil })
        #expect(nodes == Set(0..<25), "\(mode): missing \(Set(0..<25).subtracting(nodes).sorted()); the child said \(last.suffix(3))")
    }
}
