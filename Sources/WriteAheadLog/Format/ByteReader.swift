/// A bounds-checked little-endian reader over borrowed bytes.
///
/// Every read checks that the bytes are there and throws an
/// `eventDecoding` error naming the position otherwise, so a decoder built
/// on it cannot read past its input or crash on short data.
/// A reader borrows its bytes: use it only inside the call that handed it over.
public struct ByteReader {
    @usableFromInline let bytes: UnsafeRawBufferPointer
    /// The offset of the next byte to read.
    public private(set) var position: Int = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// How many bytes are left.
    public var remaining: Int { bytes.count - position }
    /// Whether every byte has been read.
    public var isAtEnd: Bool { position == bytes.count }

    /// `what` is built only when the bytes are missing: a successful read
    /// must not pay for formatting an error message.
    @inline(__always)
    private func need(_ count: Int, _ what: @autoclosure () -> String) throws {
        guard count >= 0, count <= remaining else {
            throw WALError(
                .eventDecoding,
                "needed \(count) bytes for \(what()) at byte \(position) but only \(remaining) remain")
        }
    }

    /// Reads one fixed-width integer stored little-endian.
    public mutating func read<T: FixedWidthInteger>(_ type: T.Type = T.self) throws -> T {
        let size = MemoryLayout<T>.size
        try need(size, String(describing: T.self))
        let value = bytes.loadUnaligned(fromByteOffset: position, as: T.self)
        position += size
        return T(littleEndian: value)
    }

    /// Reads one byte.
    public mutating func readByte() throws -> UInt8 {
        try read(UInt8.self)
    }

    /// Reads `count` bytes into a new array.
    public mutating func readBytes(_ count: Int) throws -> [UInt8] {
        try need(count, "\(count) raw bytes")
        let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
        position += count
        return Array(slice)
    }

    /// Reads a `UInt32` length followed by that many bytes.
    public mutating func readLengthPrefixedBytes() throws -> [UInt8] {
        let count = try read(UInt32.self)
        return try readBytes(Int(count))
    }

    /// Reads a `UInt32` length followed by that many bytes of UTF-8.
    public mutating func readString() throws -> String {
        let count = Int(try read(UInt32.self))
        try need(count, "a string of \(count) bytes")
        let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
        guard let string = String(validating: slice, as: UTF8.self) else {
            throw WALError(.eventDecoding, "the string at byte \(position) is not valid UTF-8")
        }
        position += count
        return string
    }

    /// Hands the next `count` bytes to `body` without copying them.
    public mutating func withBytes<R>(
        _ count: Int, _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        try need(count, "\(count) bytes")
        let slice = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
        position += count
        return try body(slice)
    }

    /// Hands every remaining byte to `body` and marks them read.
    public mutating func withRemainingBytes<R>(
        _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R {
        try withBytes(remaining, body)
    }
}

/// Writes fixed-width integers in little-endian order: the counterpart of
/// ``ByteReader`` for a ``WALEvent``'s `encode(into:)`.
public enum LittleEndian {
    /// Appends `value` to `buffer`, low byte first.
    @inlinable
    public static func append<T: FixedWidthInteger>(_ value: T, to buffer: inout [UInt8]) {
        buffer.appendLittleEndian(value)
    }
}

/// The package's own byte writing; not added to users' arrays.
extension Array where Element == UInt8 {
    /// Appends a fixed-width integer in little-endian order.
    @inlinable
    package mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        // Byte by byte: specialised, the loop unrolls into plain appends,
        // the cheapest of the ways measured (Benchmarks/README.md).
        for shift in stride(from: 0, to: T.bitWidth, by: 8) {
            append(UInt8(truncatingIfNeeded: value >> shift))
        }
    }

    /// Appends a `UInt32` length and then the bytes.
    @inlinable
    package mutating func appendLengthPrefixed(_ bytes: some Collection<UInt8>) {
        appendLittleEndian(UInt32(truncatingIfNeeded: bytes.count))
        append(contentsOf: bytes)
    }

    /// Appends a `UInt32` length and then the string's UTF-8 bytes.
    @inlinable
    package mutating func appendLengthPrefixed(_ string: String) {
        appendLengthPrefixed(string.utf8)
    }

    /// Overwrites four bytes at `offset` with a little-endian `UInt32`.
    @inlinable
    mutating func storeLittleEndian(_ value: UInt32, at offset: Int) {
        withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self) }
    }
}
