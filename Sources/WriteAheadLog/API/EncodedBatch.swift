/// Events already in a batch record's layout, for a caller that encodes
/// each event as it produces it and then commits them with
/// ``WAL/commit(encoded:then:durability:)``.
///
/// Why: a layer that needs an event's bytes anyway (the graph store builds
/// a record's property bytes from the logged ones) would otherwise encode
/// every event twice, once for itself and once when the log frames it.
///
/// Each event is kept as the batch payload keeps it: `u32 length`, then
/// the bytes its `encode(into:)` would write. The log copies them as they
/// are, so whoever appends here answers for their being exactly those bytes.
@usableFromInline
package struct EncodedBatch: Sendable {
    /// The events' entries, one after another.
    @usableFromInline package internal(set) var bytes: [UInt8] = []
    /// How many events `bytes` holds.
    @usableFromInline package internal(set) var count = 0

    @usableFromInline package init() {}

    /// The capacity ``removeAll()`` keeps: a batch is reused for the next
    /// transaction, but a large one's memory is not held on to.
    private static var keptCapacity: Int { 64 * 1024 }

    /// The capacity a first append reserves, enough for a few small events:
    /// growing from empty a few bytes at a time costs more than the events.
    @usableFromInline static var initialCapacity: Int { 512 }

    /// Empties the batch, keeping its memory for reuse unless it is large.
    package mutating func removeAll() {
        if bytes.capacity <= Self.keptCapacity {
            bytes.removeAll(keepingCapacity: true)
        } else {
            bytes = []
        }
        count = 0
    }

    /// Appends one event's entry; `write` appends the event's bytes to
    /// `bytes`, after the length field, and may note where its parts landed
    /// (offsets into ``bytes``). On error the batch is left as it was.
    @inlinable
    package mutating func append<Failure: Error>(
        _ write: (inout [UInt8]) throws(Failure) -> Void
    ) throws(Failure) {
        if bytes.capacity == 0 { bytes.reserveCapacity(Self.initialCapacity) }
        let lengthAt = bytes.count
        bytes.appendLittleEndian(UInt32(0))
        do {
            try write(&bytes)
        } catch {
            bytes.removeSubrange(lengthAt...)
            throw error
        }
        // Larger than a record can be: left for the commit to refuse, whose
        // error names the record and its cap.
        bytes.storeLittleEndian(UInt32(truncatingIfNeeded: bytes.count - lengthAt - 4), at: lengthAt)
        count += 1
    }

    /// Where the batch ends now, for ``rollBack(to:)``.
    package var end: (bytes: Int, count: Int) { (bytes.count, count) }

    /// Removes the events appended since `end` was read.
    package mutating func rollBack(to end: (bytes: Int, count: Int)) {
        bytes.removeSubrange(end.bytes...)
        count = end.count
    }

    /// Appends `event`, encoded by its `encode(into:)`.
    package mutating func append<Event: WALEvent>(_ event: Event) throws {
        let lengthAt = bytes.count
        do {
            try RecordCodec.appendEventWithLength(event, to: &bytes)
        } catch {
            bytes.removeSubrange(lengthAt...)
            throw error
        }
        count += 1
    }
}
