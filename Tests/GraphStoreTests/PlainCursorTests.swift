import Testing
import WriteAheadLog

@testable import GraphStore

/// The one-pass check of a snapshot's property bytes must never accept
/// what the full reader refuses: it is a shortcut, not a second opinion.
@Suite("One-pass property check")
struct PlainCursorTests {
    /// Property blobs of a random workload's nodes and relationships, with the key count they were made with.
    static func blobs(seed: UInt64) throws -> (blobs: [[UInt8]], keyCount: Int) {
        var workload = RandomWorkload(seed: seed)
        try workload.run(steps: 1500)
        let store = workload.store
        let blobs = store.nodeRecords.map(\.value.properties.bytes) + store.relationshipRecords.map(\.value.properties.bytes)
        return (blobs.filter { !$0.isEmpty }, store.propertyKeys.count)
    }

    @Test("accepts the blobs the store writes with plain values, and defers the rest", arguments: [4, 40] as [UInt64])
    func storeBlobs(seed: UInt64) throws {
        let (blobs, keyCount) = try Self.blobs(seed: seed)
        #expect(blobs.count > 100)
        var accepted = 0
        for blob in blobs {
            try blob.withUnsafeBytes { try PropertyBlob.validateWithReader($0, keyCount: keyCount) }
            if PropertyBlob.isPlainAndValid(blob, keyCount: keyCount) { accepted += 1 }
        }
        #expect(accepted > blobs.count / 3, "most blobs hold plain values")
        #expect(accepted < blobs.count, "some hold lists or maps, which the reader checks")
    }

    @Test("whatever one changed byte does, the one-pass check accepts only what the reader accepts", arguments: [5, 50] as [UInt64])
    func mutations(seed: UInt64) throws {
        let (blobs, keyCount) = try Self.blobs(seed: seed)
        var rng = SeededGenerator(seed: seed)
        var acceptedMutants = 0
        for blob in blobs.prefix(300) {
            for _ in 0..<20 {
                var mutant = blob
                let index = Int.random(in: 0..<mutant.count, using: &rng)
                mutant[index] = UInt8.random(in: 0...255, using: &rng)
                if Bool.random(using: &rng) { mutant.removeLast(Int.random(in: 0..<min(3, mutant.count), using: &rng)) }
                guard PropertyBlob.isPlainAndValid(mutant, keyCount: keyCount) else { continue }
                acceptedMutants += 1
                #expect(throws: Never.self, "\(mutant)") { try mutant.withUnsafeBytes { try PropertyBlob.validateWithReader($0, keyCount: keyCount) } }
            }
        }
        #expect(acceptedMutants > 0, "some changes keep a valid blob (another value of the same shape)")
    }

    @Test("a key number at or above the table's size, or keys out of order, are left to the reader, which refuses them")
    func keys() throws {
        let good: [UInt8] = [2, 0, ValueTag.null.rawValue, 1, ValueTag.true.rawValue]
        #expect(PropertyBlob.isPlainAndValid(good, keyCount: 2))
        for bad: [UInt8] in [[2, 1, 0, 0, 0], [2, 0, 0, 0, 0], [1, 2, 0], [0], [1, 0, 0, 9]] {
            #expect(!PropertyBlob.isPlainAndValid(bad, keyCount: 2))
            #expect(throws: WALError.self) { try bad.withUnsafeBytes { try PropertyBlob.validateWithReader($0, keyCount: 2) } }
        }
    }

    @Test("isASCII: every length up to 40, a byte of 0x80 or more at each position, at each alignment")
    func asciiCheck() {
        let storage = [UInt8](repeating: 0x41, count: 64)
        for start in 0..<8 {
            for length in 0...40 {
                var bytes = storage
                // High bytes just outside the range must not count.
                if start > 0 { bytes[start - 1] = 0xFF }
                bytes[start + length] = 0xFF
                let plain = bytes.withUnsafeBufferPointer { isASCII(UnsafeBufferPointer(rebasing: $0[start..<(start + length)])) }
                #expect(plain, "length \(length) from \(start)")
                for position in 0..<length {
                    for high: UInt8 in [0x80, 0xC3, 0xFF] {
                        bytes = storage
                        bytes[start + position] = high
                        let found = bytes.withUnsafeBufferPointer {
                            isASCII(UnsafeBufferPointer(rebasing: $0[start..<(start + length)]))
                        }
                        #expect(!found, "length \(length) from \(start), \(high) at \(position)")
                    }
                }
            }
        }
    }
}
