import GraphStore
import Testing

/// The one JSON string writer graph-server and walctl share.
@Suite("JSON string literals")
struct JSONStringTests {
    @Test("quotes, backslashes, control characters and DEL are escaped; other text is kept as UTF-8", arguments: [
        ("plain", "\"plain\""),
        ("a\"b\\c", "\"a\\\"b\\\\c\""),
        ("\n\r\t", "\"\\n\\r\\t\""),
        ("\u{0}\u{1F}", "\"\\u0000\\u001f\""),
        ("\u{7F}", "\"\\u007f\""),
        ("é→😀", "\"é→😀\""),
    ])
    func escapes(text: String, expected: String) {
        var bytes: [UInt8] = []
        JSONString.append(text, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
    }
}
