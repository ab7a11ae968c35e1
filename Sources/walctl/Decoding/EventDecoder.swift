/// Reads the bytes of one event of one known type, for dumps and statistics.
///
/// The log carries opaque event bytes; it does not know which type wrote
/// them. `walctl` tries each decoder it knows in turn and falls back to raw
/// hex, so a log written by any event type can always be dumped, and a new
/// event type becomes readable by adding one conformance to
/// ``EventDecoders/known``.
protocol EventDecoder: Sendable {
    /// The codec's name, shown next to what it decoded (`graph`).
    var name: String { get }

    /// The event these bytes hold, or nil when they are not an event of this
    /// codec (a decoder must read all the bytes for a match).
    func decode(_ bytes: [UInt8]) -> DecodedEvent?
}

/// One event a decoder understood.
struct DecodedEvent: Equatable {
    /// The event's kind, for statistics ("createNode").
    var kind: String
    /// A one-line rendering, for dumps.
    var text: String
}
