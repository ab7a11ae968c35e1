import WriteAheadLog

/// The decoders a run of `walctl` tries, in order, with raw hex behind them.
struct EventDecoders: Sendable {
    /// What one event's bytes became.
    struct Rendered {
        /// The event's size in bytes.
        var byteCount: Int
        /// The codec that understood it, and what it read; nil for raw bytes.
        var codec: String?
        var decoded: DecodedEvent?
        /// The bytes in hex, when no codec understood them.
        var hex: String?

        /// The kind used in statistics: the decoded kind, or `raw`.
        var kind: String { decoded?.kind ?? "raw" }
    }

    let decoders: [any EventDecoder]

    /// Every codec this build knows. Add a new event type's decoder here.
    static let known = EventDecoders(decoders: [GraphEventDecoder()])
    /// No codecs: every event as hex (`dump --raw`).
    static let rawOnly = EventDecoders(decoders: [])

    /// The first decoding that succeeds, or hex.
    func render(_ bytes: [UInt8]) -> Rendered {
        for decoder in decoders {
            if let decoded = decoder.decode(bytes) {
                return Rendered(byteCount: bytes.count, codec: decoder.name, decoded: decoded, hex: nil)
            }
        }
        return Rendered(byteCount: bytes.count, codec: nil, decoded: nil, hex: Hex.string(bytes))
    }

    /// Each event a record carries, rendered; empty for markers.
    ///
    /// The inspector has already checked the batch framing, so splitting
    /// cannot fail on a record it handed over; should it, the whole payload
    /// is shown as one raw event rather than hidden.
    func renderEvents(of record: RecordView) -> [Rendered] {
        guard record.kind == .mutation || record.kind == .mutationBatch else { return [] }
        guard let events = try? record.events(as: [UInt8].self) else {
            return [Rendered(byteCount: record.payload.count, codec: nil, decoded: nil, hex: Hex.string(record.payload))]
        }
        return events.map(render)
    }
}
