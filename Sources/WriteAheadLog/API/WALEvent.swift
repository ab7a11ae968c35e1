/// A value the log can carry: it writes its own bytes and reads them back.
///
/// The log frames, checksums and orders events; it never looks inside them.
/// `encode(into:)` appends the event's bytes to `buffer`; the log records
/// their length, so the decoder gets exactly those bytes back and must read
/// all of them (bytes left over are reported as a decoding error, which
/// catches a decoder that disagrees with its encoder).
///
/// ```swift
/// enum CounterEvent: WALEvent {
///     case add(Int64)
///     case reset
///
///     func encode(into buffer: inout [UInt8]) {
///         switch self {
///         case .add(let amount): buffer.append(1); LittleEndian.append(amount, to: &buffer)
///         case .reset: buffer.append(2)
///         }
///     }
///
///     init(from reader: inout ByteReader) throws {
///         switch try reader.readByte() {
///         case 1: self = .add(try reader.read(Int64.self))
///         case 2: self = .reset
///         case let tag: throw WALError(.eventDecoding, "unknown CounterEvent tag \(tag)")
///         }
///     }
/// }
/// ```
public protocol WALEvent: Sendable {
    /// Appends this event's bytes to `buffer`.
    func encode(into buffer: inout [UInt8]) throws
    /// Reads one event from exactly the bytes `encode(into:)` wrote.
    init(from reader: inout ByteReader) throws
}

/// Raw bytes are an event as they are: useful for tools that carry opaque payloads.
extension Array: WALEvent where Element == UInt8 {
    public func encode(into buffer: inout [UInt8]) throws {
        buffer.append(contentsOf: self)
    }

    public init(from reader: inout ByteReader) throws {
        self = try reader.readBytes(reader.remaining)
    }
}

/// A string is an event holding its UTF-8 bytes.
extension String: WALEvent {
    public func encode(into buffer: inout [UInt8]) throws {
        buffer.append(contentsOf: utf8)
    }

    public init(from reader: inout ByteReader) throws {
        let string = try reader.withRemainingBytes { bytes -> String? in
            String(validating: bytes, as: UTF8.self)
        }
        guard let string else { throw WALError(.eventDecoding, "the event is not valid UTF-8") }
        self = string
    }
}
