import WriteAheadLog

/// Small CPU-only measurements of the pieces every record pays for: the
/// CRC-32C checksum and an event's encode and decode.
enum MicroBenchmarks {
    static func run() -> String {
        var lines = ["CRC-32C path: \(CRC32C.usesHardware ? "hardware" : "portable table")"]
        for size in [100, 4096, 1 << 20] {
            let bytes = TransactionPayload(eventsPerCommit: 1, eventBytes: size).flat
            let rounds = max(1, (256 << 20) / size)
            var seed: UInt32 = 0
            let nanos = timed {
                for _ in 0..<rounds { seed = CRC32C.checksum(bytes, seed: seed) }
            }
            let gigabytes = Double(rounds * size) / 1e9
            lines.append(
                "crc32c \(size) B: \(ResultTable.decimal(gigabytes / (Double(nanos) / 1e9), places: 2)) GB/s, "
                    + "\(ResultTable.decimal(Double(nanos) / Double(rounds), places: 1)) ns/call (seed \(seed % 10))")
        }
        let event = TransactionPayload(eventsPerCommit: 1, eventBytes: 100).events[0]
        let rounds = 2_000_000
        var buffer: [UInt8] = []
        buffer.reserveCapacity(256)
        var encodeFailures = 0
        let encodeNanos = timed {
            for _ in 0..<rounds {
                buffer.removeAll(keepingCapacity: true)
                do { try event.encode(into: &buffer) } catch { encodeFailures += 1 }
            }
        }
        var decoded = 0
        let decodeNanos = timed {
            buffer.withUnsafeBytes { raw in
                for _ in 0..<rounds {
                    var reader = ByteReader(raw)
                    if let event = try? [UInt8](from: &reader) { decoded &+= event.count }
                }
            }
        }
        lines.append("[UInt8] event encode (100 B): \(ResultTable.decimal(Double(encodeNanos) / Double(rounds), places: 1)) ns/op")
        lines.append(
            "[UInt8] event decode (100 B): \(ResultTable.decimal(Double(decodeNanos) / Double(rounds), places: 1)) ns/op"
                + " (\(decoded / rounds) B each, \(encodeFailures) failures)")
        return lines.joined(separator: "\n")
    }

    private static func timed(_ body: () -> Void) -> UInt64 {
        let started = monotonicNanos()
        body()
        return monotonicNanos() - started
    }
}
