import GraphStore
import WriteAheadLog

/// Decodes the graph store's `MutationEvent`s, the events the graph
/// database writes to its log.
struct GraphEventDecoder: EventDecoder {
    var name: String { "graph" }

    func decode(_ bytes: [UInt8]) -> DecodedEvent? {
        bytes.withUnsafeBytes { raw -> DecodedEvent? in
            var reader = ByteReader(raw)
            // Bytes left over mean the bytes are not this codec's, however
            // plausible their start: the log's own replay rule.
            guard let event = try? MutationEvent(from: &reader), reader.isAtEnd else { return nil }
            return DecodedEvent(kind: event.name, text: event.description)
        }
    }
}
