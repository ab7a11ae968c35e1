import Foundation
import GraphServerCore
import Testing

/// Hostile bodies of the largest accepted size (1 MiB here) are answered
/// promptly: a parser or a validation pass that went quadratic would take
/// many minutes on them, so a generous bound is enough to catch it, also on
/// a loaded machine.
@Suite("Decoding cost", .serialized)
struct DecodingCostTests {
    static let limit = 1 << 20

    /// A body of `limit` bytes at most: `open`, then `item` repeated, then `close`.
    static func body(_ open: String, _ item: (Int) -> String, _ close: String) -> String {
        var text = open
        var index = 0
        while text.utf8.count + close.utf8.count + 40 < limit {
            text += item(index)
            index += 1
        }
        return text + close
    }

    static let shapes: [(name: String, body: String, status: Int)] = [
        ("an array of digits", body(#"{"ops": [["#, { _ in "0," }, "0]]}"), 400),
        ("an object of many members", body(#"{"ops": [], "#, { "\"k\($0)\": 0, " }, #""z": 0}"#), 400),
        ("a string of escapes", body(#"{"ops": [{"op": "createNode", "properties": {"s": ""#, { _ in #"\u00e9\n"# }, #""}}]}"#), 200),
        ("many refs", body(#"{"ops": ["#, { #"{"op": "createNode", "ref": "n\#($0)"}, "# }, #"{"op": "createNode"}]}"#), 200),
        ("deep nesting", body(#"{"ops": [{"op": "createNode", "properties": {"a": "#, { _ in "[" }, "]}}]}"), 400),
    ]

    @Test("a hostile body of the maximum size is answered within seconds", arguments: shapes.indices)
    func hostile(index: Int) async throws {
        let shape = Self.shapes[index]
        try await LiveServer.run({ $0.limits.maxBodyBytes = Self.limit }) { port throws in
            let started = ContinuousClock.now
            let reply = try await LoopbackHTTP.call(
                port: port, "POST", "/tx", headers: ["Host: 127.0.0.1", "Content-Type: application/json"], body: shape.body,
                timeoutSeconds: 60)
            #expect(reply.status == shape.status, "\(shape.name): \(reply.body.prefix(300))")
            #expect(ContinuousClock.now - started < .seconds(30), "\(shape.name)")
        }
    }
}
