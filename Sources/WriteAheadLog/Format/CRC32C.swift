import CCRC32C

/// CRC-32C (Castagnoli), the checksum of every header and record.
///
/// Uses the CPU's CRC instruction where there is one (SSE 4.2, ARMv8 CRC32)
/// and a table otherwise. The check value of `"123456789"` is `0xE3069283`.
public enum CRC32C {
    /// The checksum of `bytes`, or of `bytes` appended to what `seed` covered.
    public static func checksum(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress else { return seed }
        return ccrc32c_extend(seed, base, bytes.count)
    }

    /// The checksum of a byte array.
    public static func checksum(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0, seed: seed) }
    }

    /// The same checksum through the portable table path only.
    package static func portableChecksum(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return seed }
            return ccrc32c_extend_portable(seed, base, buffer.count)
        }
    }

    /// Whether this CPU computes the checksum with a hardware instruction.
    public static var usesHardware: Bool { ccrc32c_hardware_available() != 0 }
}
