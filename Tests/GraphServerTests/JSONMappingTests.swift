import GraphServerCore
import GraphStore
import Testing

@Suite("JSON and property values")
struct JSONMappingTests {
    static let roundTrips: [PropertyValue] = [
        .null, .bool(true), .int(0), .int(-42), .int(.max), .int(.min), .double(1.0), .double(-0.5), .double(1e300),
        .double(.nan), .double(.infinity), .double(-.infinity), .string(""), .string("é \"q\" \\ \n\u{1}"),
        .bytes([]), .bytes([0, 1, 255]), .list([1, 2.5, "x", nil]), .map(["a": 1, "b": ["c": true]]),
        .map(["$bytes": "not bytes"]), .map(["$map": 1]), .map([:]),
    ]

    @Test("every kind of value survives JSON and back exactly", arguments: roundTrips)
    func roundTrip(value: PropertyValue) throws {
        let text = JSONWriter.string(value.json)
        let back = try PropertyValue(json: try JSONParser.parse(text), at: "value")
        #expect(back == value, "\(text)")
    }

    @Test("the written form decides the type: 1 is an integer, 1.0 and 1e0 are doubles")
    func lexicalTyping() throws {
        #expect(try PropertyValue(json: JSONParser.parse("1"), at: "v") == .int(1))
        #expect(try PropertyValue(json: JSONParser.parse("1.0"), at: "v") == .double(1))
        #expect(try PropertyValue(json: JSONParser.parse("1e0"), at: "v") == .double(1))
        #expect(JSONWriter.string(PropertyValue.double(2).json) == "2.0")
        #expect(JSONWriter.string(PropertyValue.int(2).json) == "2")
    }

    @Test(
        "the parser refuses what it would otherwise have to guess at",
        arguments: [
            "", "[1,]", "{\"a\":1,}", "{\"a\":1,\"a\":2}", "01", "1.", "-", "9223372036854775808", "1e999", "\"\\ud800\"",
            "\"\\x\"", "\"a\nb\"", "[1] 2", "tru", "{'a':1}", String(repeating: "[", count: 200) + String(repeating: "]", count: 200),
        ])
    func refusals(text: String) {
        #expect(throws: GraphServerError.self) { try JSONParser.parse(text) }
    }

    @Test("an error names the byte offset, and shows a byte that is not printable in hex")
    func errorMessages() {
        let binary = #expect(throws: GraphServerError.self) { try JSONParser.parse([0x8F, 0x00]) }
        #expect(binary?.message == "invalid JSON at byte 0: unexpected byte 0x8F")
        let text = #expect(throws: GraphServerError.self) { try JSONParser.parse("[1, x]") }
        #expect(text?.message == "invalid JSON at byte 4: unexpected character 'x'")
    }

    @Test("strings decode escapes and surrogate pairs")
    func strings() throws {
        #expect(try JSONParser.parse(#""a\u00e9\ud83d\ude00\/\t""#) == .string("aé😀/\t"))
        #expect(try JSONParser.parse("\"日本\"") == .string("日本"))
    }

    @Test("a value nested deeper than the graph allows is an invalid_value error")
    func tooDeep() throws {
        let text = String(repeating: "[", count: 70) + String(repeating: "]", count: 70)
        let error = #expect(throws: GraphServerError.self) { try PropertyValue(json: JSONParser.parse(text), at: "v") }
        #expect(error?.code == .invalidValue)
        #expect(error?.message.contains("deeper than 64 levels") == true)
    }
}
