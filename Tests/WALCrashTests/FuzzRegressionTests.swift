import Foundation
import Testing
import WALTestSupport

/// Inputs the fuzzer (Fuzz/run.sh) found, replayed through the same
/// harness on every test run, plus a short random smoke run of it.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count - 1, by: 2).compactMap { UInt8(String(digits[$0...$0 + 1]), radix: 16) }
    }

    /// Each input once exposed a library bug; the comment names the fix.
    @Test("a fuzzer finding holds every recovery invariant", arguments: [
        // Salvage cut a segment damaged at its first record to a bare header (fixed: moved whole).
        "0202080003060c0f12181b1e2124272a2d303337303c3f42450100000003285a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
        // An empty active segment based above the last record: sync and close spun (fixed: the gap counts as durable).
        "01020014000100013c002f7761952f303030303030303031302e77616c090000230102030405060708090a0b0c0d0e0f10111213141516171819e6db1c1d1e1f202122232425262328292a2b2c2d2e2f3031323334353637002f7761952f303030303030303031302e77616c09aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7",
        // Only an empty sealed segment with base 2: open started the next at base 1 (fixed: above the sealed base).
        "010002000001010000000000000a013c0009001518",
        // A sealed segment cut at a record boundary: replay skipped the lost records silently (fixed: a gap before the next segment's base is damage).
        "02640b0c00070e151c232a30393f460000001d0000000000000e151c232a30393f460000001d00000000000000000000000000000000000000000000000000000000000000009aa1a8afb6bdd400000000000000000000000000000000000000000000000000009aa1a8afb6bdd4cb6cd9c4cbd2d9e0e7eef5fc030a1154",
        // A sealed segment cut back to its bare header: the same silent gap, with no record left to compare (fixed: an empty segment's successor must start at its base + 1).
        "02002300053b0f14191e2326282d0200006e73787d82878c6001910100028c910191010002",
    ])
    func finding(hex: String) throws {
        // The harness opens logs, which block on I/O: off the cooperative pool.
        let bytes = Self.bytes(hex)
        let violation = try onThread { () -> String? in
            do {
                try WALFuzzHarness.run(bytes)
                return nil
            } catch {
                return "\(error)"
            }
        }
        if let violation { Issue.record(Comment(rawValue: violation)) }
    }

    /// A few hundred random inputs through the harness on every run: cheap
    /// insurance that the fuzz target still builds and its invariants hold.
    @Test("random inputs hold every recovery invariant")
    func randomSmoke() throws {
        let seed = UInt64.random(in: 0..<(1 << 40))
        let violations = try onThread { () -> [String] in
            var random = SeededGenerator(seed: seed)
            var violations: [String] = []
            for _ in 0..<300 {
                let count = Int(random.next() % 300)
                var input = (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                if !input.isEmpty { input[0] = UInt8(random.next() % 3) }
                do { try WALFuzzHarness.run(input) } catch {
                    violations.append("\(error) for input \(input.map { String($0, radix: 16) })")
                }
            }
            return violations
        }
        for violation in violations.prefix(3) { Issue.record(Comment(rawValue: "seed \(seed): \(violation)")) }
    }
}
