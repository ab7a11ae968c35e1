/// Writes records into the append buffer and parses them back: the byte
/// layout of ``RecordFrame``, with its checksum, and the batch payload.
@usableFromInline
enum RecordCodec {
    /// Appends one record to `buffer`; `payload` appends the payload bytes.
    /// On error the buffer is left as it was.
    @inline(__always)
    static func append(
        kind: RecordKind, lsn: LSN, txBeginLSN: LSN, to buffer: inout [UInt8],
        payload: (inout [UInt8]) throws -> Void = { _ in }
    ) throws {
        let start = buffer.count
        appendHeader(kind: kind, lsn: lsn, txBeginLSN: txBeginLSN, to: &buffer)
        do {
            try payload(&buffer)
        } catch let error as WALError {
            buffer.removeSubrange(start...)
            throw error.with(lsn: lsn)
        } catch {
            buffer.removeSubrange(start...)
            throw WALError(.eventEncoding, "\(error)", lsn: lsn)
        }
        let size = buffer.count - start + RecordFrame.trailerSize
        guard size <= RecordFrame.maximumSize else {
            buffer.removeSubrange(start...)
            throw WALError(
                .tooLarge, "a \(kind) record of \(size) bytes exceeds the \(RecordFrame.maximumSize)-byte cap",
                lsn: lsn)
        }
        buffer.storeLittleEndian(UInt32(size), at: start)
        let checksum = buffer.withUnsafeBytes { bytes in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[start...]))
        }
        buffer.appendLittleEndian(checksum)
    }

    /// Appends a record's header with its length left 0 (`append` stores
    /// it once the payload is in): the fields are laid out on the stack and
    /// appended in one copy. Appended a field at a time, a byte at a time,
    /// the three headers of a transaction cost more than its framing's
    /// checksums.
    @inline(__always)
    static func appendHeader(kind: RecordKind, lsn: LSN, txBeginLSN: LSN, to buffer: inout [UInt8]) {
        typealias Field = RecordFrame.Field
        var header: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &header) { bytes in
            bytes.storeBytes(of: UInt32(0).littleEndian, toByteOffset: Field.length, as: UInt32.self)
            bytes.storeBytes(of: kind.rawValue, toByteOffset: Field.kind, as: UInt8.self)
            bytes.storeBytes(of: lsn.rawValue.littleEndian, toByteOffset: Field.lsn, as: UInt64.self)
            bytes.storeBytes(of: txBeginLSN.rawValue.littleEndian, toByteOffset: Field.txBeginLSN, as: UInt64.self)
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<RecordFrame.headerSize]))
        }
    }

    /// Appends the payload of a batch: `u32 count`, then `u32 length` and bytes per event.
    @inlinable
    static func appendBatchPayload<Event: WALEvent>(
        _ events: some Collection<Event>, to buffer: inout [UInt8]
    ) throws {
        try appendBatchPayload(encoded: EncodedBatch(), then: events, to: &buffer)
    }

    /// Appends the payload of a batch whose first events are already
    /// encoded in `prefix`, the rest to be encoded here.
    @inlinable
    static func appendBatchPayload<Event: WALEvent>(
        encoded prefix: EncodedBatch, then rest: some Collection<Event>, to buffer: inout [UInt8]
    ) throws {
        buffer.appendLittleEndian(UInt32(truncatingIfNeeded: prefix.count + rest.count))
        buffer.append(contentsOf: prefix.bytes)
        for event in rest {
            try appendEventWithLength(event, to: &buffer)
        }
    }

    /// Appends `u32 length` and the event's bytes.
    @inlinable @inline(__always)
    static func appendEventWithLength<Event: WALEvent>(_ event: Event, to buffer: inout [UInt8]) throws {
        let lengthAt = buffer.count
        buffer.appendLittleEndian(UInt32(0))
        try event.encode(into: &buffer)
        let length = buffer.count - lengthAt - 4
        guard length <= RecordFrame.maximumSize else {
            throw WALError(.tooLarge, "an event of \(length) bytes exceeds the record cap")
        }
        buffer.storeLittleEndian(UInt32(length), at: lengthAt)
    }

    /// Parses the record starting at `offset` of `bytes`.
    static func parse(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> FrameParse {
        let available = bytes.count - offset
        guard available >= 4 else {
            if available > 0, (0..<available).allSatisfy({ bytes[offset + $0] == 0 }) { return .zeros }
            return .needMore(RecordFrame.minimumSize)
        }
        let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        if length == 0 { return .zeros }
        guard length >= RecordFrame.minimumSize else {
            return .damaged("length field \(length) is below the \(RecordFrame.minimumSize)-byte minimum")
        }
        guard length <= RecordFrame.maximumSize else {
            return .damaged("length field \(length) exceeds the \(RecordFrame.maximumSize)-byte cap")
        }
        guard available >= length else { return .needMore(length) }
        let kindByte = bytes[offset + RecordFrame.Field.kind]
        let stored = UInt32(
            littleEndian: bytes.loadUnaligned(fromByteOffset: offset + length - 4, as: UInt32.self))
        let computed = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length - 4)]))
        guard stored == computed else {
            return .damaged(
                "checksum mismatch (stored \(hex(stored)), computed \(hex(computed))) over a \(length)-byte record")
        }
        guard let kind = RecordKind(rawValue: kindByte) else {
            return .damaged("unknown record kind \(kindByte)")
        }
        let lsn = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + RecordFrame.Field.lsn, as: UInt64.self))
        let txBegin = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + RecordFrame.Field.txBeginLSN, as: UInt64.self))
        return .record(
            RecordFrame(
                kind: kind, lsn: LSN(lsn), txBeginLSN: LSN(txBegin),
                payloadOffset: offset + RecordFrame.headerSize,
                payloadCount: length - RecordFrame.minimumSize, size: length))
    }

    /// Decodes the events a mutation or batch record carries, handing each to `body`.
    static func forEachEvent<Event: WALEvent>(
        in frame: RecordFrame, of bytes: UnsafeRawBufferPointer, as type: Event.Type,
        _ body: (Event) throws -> Void
    ) throws {
        let payload = UnsafeRawBufferPointer(
            rebasing: bytes[frame.payloadOffset..<(frame.payloadOffset + frame.payloadCount)])
        try forEachEvent(kind: frame.kind, payload: payload, lsn: frame.lsn, as: type, body)
    }

    /// Decodes the events of a mutation or batch payload, handing each to `body`.
    static func forEachEvent<Event: WALEvent>(
        kind: RecordKind, payload: UnsafeRawBufferPointer, lsn: LSN, as _: Event.Type,
        _ body: (Event) throws -> Void
    ) throws {
        switch kind {
        case .mutation:
            try body(try decodeEvent(payload, index: 0, lsn: lsn))
        case .mutationBatch:
            try forEachBatchEntry(payload, lsn: lsn) { index, bytes in
                try body(try decodeEvent(bytes, index: index, lsn: lsn) as Event)
            }
        default:
            return
        }
    }

    /// Checks a batch payload's framing and hands each event's bytes to `body`.
    static func forEachBatchEntry(
        _ payload: UnsafeRawBufferPointer, lsn: LSN, _ body: (Int, UnsafeRawBufferPointer) throws -> Void
    ) throws {
        var reader = ByteReader(payload)
        let count: UInt32
        do { count = try reader.read(UInt32.self) } catch {
            throw WALError(.corruption, "batch payload has no event count", lsn: lsn)
        }
        guard count > 0 else {
            throw WALError(.structural, "batch record holds no events", lsn: lsn)
        }
        for index in 0..<Int(count) {
            let length: UInt32
            do { length = try reader.read(UInt32.self) } catch {
                throw WALError(.corruption, "batch event \(index) of \(count) has no length", lsn: lsn)
            }
            guard Int(length) <= reader.remaining else {
                throw WALError(
                    .corruption, "batch event \(index) of \(count) claims \(length) bytes but \(reader.remaining) remain",
                    lsn: lsn)
            }
            try reader.withBytes(Int(length)) { bytes in try body(index, bytes) }
        }
        guard reader.isAtEnd else {
            throw WALError(.corruption, "batch payload has \(reader.remaining) bytes after its events", lsn: lsn)
        }
    }

    static func decodeEvent<Event: WALEvent>(
        _ bytes: UnsafeRawBufferPointer, index: Int, lsn: LSN
    ) throws -> Event {
        var reader = ByteReader(bytes)
        let event: Event
        do {
            event = try Event(from: &reader)
        } catch {
            let reason = (error as? WALError)?.message ?? "\(error)"
            throw WALError(
                .eventDecoding, "event \(index) as \(Event.self): \(reason)", operation: "replay", lsn: lsn)
        }
        guard reader.isAtEnd else {
            throw WALError(
                .eventDecoding,
                "event \(index) as \(Event.self) left \(reader.remaining) of \(bytes.count) bytes unread",
                operation: "replay", lsn: lsn)
        }
        return event
    }
}
