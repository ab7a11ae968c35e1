/// Decoding of a record's payload for readers that hold records outside a
/// log directory: an archive's pieces, a replica following them.
public enum RecordPayload {
    /// The events a mutation or batch record's payload carries (none for
    /// other kinds), checked the way replay checks them.
    ///
    /// - Throws: ``WALError`` naming `lsn` when the batch framing is broken
    ///   or an event does not decode as `Event` (or leaves bytes unread).
    public static func events<Event: WALEvent>(kind: RecordKind, payload: [UInt8], lsn: LSN, as type: Event.Type) throws -> [Event] {
        var events: [Event] = []
        try payload.withUnsafeBytes { bytes in
            try RecordCodec.forEachEvent(kind: kind, payload: bytes, lsn: lsn, as: Event.self) { events.append($0) }
        }
        return events
    }
}
