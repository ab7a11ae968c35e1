import WriteAheadLog

/// The event type of the crash tests: a second, trivial `WALEvent` that
/// carries its own identity and checks its own bytes.
///
/// Each transaction is named by (writer, sequence); its events are numbered
/// and say what the test meant to do with the transaction (commit it, abort
/// it, leave it open). The filler bytes are a function of the identity, so
/// decoding refuses any event whose bytes are not exactly what was written:
/// recovery can never hand back silently wrong events.
package struct CrashEvent: WALEvent, Hashable, CustomStringConvertible {
    package enum Intent: UInt8, Sendable {
        case commit = 1
        case abort = 2
        case leaveOpen = 3
    }

    package var writer: UInt16
    package var sequence: UInt32
    package var index: UInt8
    package var intent: Intent
    package var fillerCount: UInt16

    package init(writer: UInt16, sequence: UInt32, index: UInt8, intent: Intent, fillerCount: UInt16) {
        self.writer = writer
        self.sequence = sequence
        self.index = index
        self.intent = intent
        self.fillerCount = fillerCount
    }

    /// The events of one transaction: `count` events of varying size.
    package static func transaction(
        writer: UInt16, sequence: UInt32, count: Int, intent: Intent = .commit, fillerSeed: UInt64 = 0
    ) -> [CrashEvent] {
        (0..<count).map { index in
            let mixed = (fillerSeed ^ UInt64(sequence) &* 0x9E37_79B9 ^ UInt64(index) &* 0x85EB_CA6B) % 97
            return CrashEvent(writer: writer, sequence: sequence, index: UInt8(index), intent: intent, fillerCount: UInt16(mixed * 3))
        }
    }

    package struct Key: Hashable, Sendable, Comparable, CustomStringConvertible {
        package var writer: UInt16
        package var sequence: UInt32
        package init(writer: UInt16, sequence: UInt32) {
            self.writer = writer
            self.sequence = sequence
        }
        package static func < (lhs: Key, rhs: Key) -> Bool { (lhs.writer, lhs.sequence) < (rhs.writer, rhs.sequence) }
        package var description: String { "w\(writer)#\(sequence)" }
    }

    package var key: Key { Key(writer: writer, sequence: sequence) }

    private func filler(_ position: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: Int(writer) &* 131 &+ Int(sequence) &* 31 &+ Int(index) &* 7 &+ position)
    }

    package func encode(into buffer: inout [UInt8]) throws {
        buffer.appendLittleEndian(writer)
        buffer.appendLittleEndian(sequence)
        buffer.append(index)
        buffer.append(intent.rawValue)
        buffer.appendLittleEndian(fillerCount)
        for position in 0..<Int(fillerCount) { buffer.append(filler(position)) }
    }

    package init(from reader: inout ByteReader) throws {
        writer = try reader.read(UInt16.self)
        sequence = try reader.read(UInt32.self)
        index = try reader.readByte()
        let rawIntent = try reader.readByte()
        guard let intent = Intent(rawValue: rawIntent) else {
            throw WALError(.eventDecoding, "unknown intent \(rawIntent)")
        }
        self.intent = intent
        fillerCount = try reader.read(UInt16.self)
        let bytes = try reader.readBytes(Int(fillerCount))
        for (position, byte) in bytes.enumerated() where byte != filler(position) {
            throw WALError(.eventDecoding, "filler byte \(position) of \(key) is \(byte), not \(filler(position))")
        }
    }

    package var description: String { "\(key)[\(index)]\(intent)" }
}
