#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The time a transaction committed, as its commit record carries it
/// (segment format 2): microseconds since 1970-01-01 UTC, a little-endian
/// `Int64`, the record's whole payload.
///
/// It lets a restore stop at the last transaction committed at or before
/// a moment, exactly, rather than at whatever a shipping round held.
/// Within one log the times never go backwards in LSN order (the writer
/// takes the later of the clock and the previous commit's time), so "the
/// transactions committed by then" is always a prefix of the log. Commit
/// records of format 1 carry no payload and no time.
public enum CommitTime {
    /// The payload size of a commit record that carries its time.
    public static let payloadSize = 8

    /// The wall clock now, in microseconds since 1970.
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) &* 1_000_000 &+ Int64(time.tv_nsec / 1000)
    }

    /// Appends `micros` as a commit record's payload.
    static func append(_ micros: Int64, to buffer: inout [UInt8]) {
        buffer.appendLittleEndian(UInt64(bitPattern: micros))
    }

    /// The time in a commit record's payload: `nil` for an empty payload
    /// (format 1); throws nothing, the caller checked the size.
    public static func decode(_ payload: UnsafeRawBufferPointer) -> Int64? {
        guard payload.count == payloadSize else { return nil }
        return Int64(bitPattern: UInt64(littleEndian: payload.loadUnaligned(as: UInt64.self)))
    }

    /// The time in a commit record's payload bytes, or `nil` for format 1.
    public static func decode(_ payload: [UInt8]) -> Int64? {
        payload.withUnsafeBytes { decode($0) }
    }
}

/// Hands out commit times that never go backwards, even when the wall clock does.
struct CommitClock: Sendable {
    private(set) var last: Int64 = 0

    mutating func next() -> Int64 {
        last = max(CommitTime.now(), last)
        return last
    }
}
