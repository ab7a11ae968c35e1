import GraphStore

/// Renders ``JSONValue``s as compact UTF-8 JSON.
///
/// Doubles always carry a fraction or an exponent (`1.0`, not `1`), so a
/// client that reads a value back with the same rules as the server's
/// parser gets the same type back. Non-finite doubles have no JSON form;
/// ``PropertyValue/json`` writes them as `{"$double": "NaN"}` before they
/// get here, and the writer falls back to `null` for any that slip through.
public enum JSONWriter {
    /// The document as bytes.
    public static func bytes(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(value, into: &output)
        return output
    }

    /// The document as a string.
    public static func string(_ value: JSONValue) -> String {
        String(decoding: bytes(value), as: UTF8.self)
    }

    static func write(_ value: JSONValue, into output: inout [UInt8]) {
        switch value {
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let number): output.append(contentsOf: String(number).utf8)
        case .double(let number): output.append(contentsOf: render(number).utf8)
        case .string(let text): writeString(text, into: &output)
        case .array(let items):
            output.append(UInt8(ascii: "["))
            for (position, item) in items.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                write(item, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            for (position, member) in object.members.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                write(member.value, into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Swift's shortest round-tripping form, which is valid JSON for finite
    /// values once an integral value gets its `.0`.
    static func render(_ number: Double) -> String {
        guard number.isFinite else { return "null" }
        let text = String(describing: number)
        if text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return text }
        return text + ".0"
    }

    static func writeString(_ text: String, into output: inout [UInt8]) {
        JSONString.append(text, to: &output)
    }
}
