import Foundation

/// A small, tolerant reader of the XML S3 answers with (`ListBucketResult`,
/// `Error`, `InitiateMultipartUploadResult`, ...): it finds elements by name
/// and decodes their text, which is all the store needs. It does not check
/// that the document is well formed, so a server's odd whitespace,
/// attributes or namespaces do not break it; S3 never nests an element in
/// one of the same name, so the first closing tag ends each element.
enum S3XML {
    /// The raw contents of each `<name ...>...</name>` element in `xml`, in
    /// document order; an empty element (`<name/>`) gives an empty string.
    static func elements(_ name: String, in xml: Substring) -> [Substring] {
        let open = "<" + name
        let close = "</" + name + ">"
        var results: [Substring] = []
        var searchFrom = xml.startIndex
        while let start = xml.range(of: open, range: searchFrom..<xml.endIndex) {
            var cursor = start.upperBound
            guard cursor < xml.endIndex else { break }
            let next = xml[cursor]
            if next == ">" {
                cursor = xml.index(after: cursor)
            } else if next == "/" || next == " " || next == "\t" || next == "\n" || next == "\r" {
                // Attributes, or an empty element.
                guard let end = xml.range(of: ">", range: cursor..<xml.endIndex) else { break }
                if xml[xml.index(before: end.lowerBound)] == "/" {
                    results.append(xml[end.upperBound..<end.upperBound])
                    searchFrom = end.upperBound
                    continue
                }
                cursor = end.upperBound
            } else {
                // A longer name with the same start (`<KeyCount>` for `Key`).
                searchFrom = cursor
                continue
            }
            guard let end = xml.range(of: close, range: cursor..<xml.endIndex) else { break }
            results.append(xml[cursor..<end.lowerBound])
            searchFrom = end.upperBound
        }
        return results
    }

    /// The decoded text of the first `name` element in `xml`, or `nil`.
    static func text(_ name: String, in xml: Substring) -> String? {
        elements(name, in: xml).first.map(decode)
    }

    /// The name of the document's root element, skipping the XML
    /// declaration, comments and processing instructions.
    static func rootName(of xml: Substring) -> String? {
        var rest = xml
        while let open = rest.firstIndex(of: "<") {
            let after = rest.index(after: open)
            guard after < rest.endIndex else { return nil }
            if rest[after] == "?" || rest[after] == "!" {
                guard let end = rest[after...].firstIndex(of: ">") else { return nil }
                rest = rest[rest.index(after: end)...]
                continue
            }
            let name = rest[after...].prefix { !($0 == ">" || $0 == "/" || $0 == " " || $0.isNewline || $0 == "\t") }
            return name.isEmpty ? nil : String(name)
        }
        return nil
    }

    /// Element text with its entities (`&amp;` `&lt;` `&gt;` `&quot;`
    /// `&apos;`, `&#NN;`, `&#xHH;`) and CDATA sections decoded. An entity it
    /// does not know stays as written.
    static func decode(_ raw: Substring) -> String {
        var out = ""
        var rest = raw
        while let amp = rest.firstIndex(where: { $0 == "&" || $0 == "<" }) {
            out += rest[..<amp]
            if rest[amp] == "<" {
                let cdata = rest[amp...]
                if cdata.hasPrefix("<![CDATA["), let end = cdata.range(of: "]]>") {
                    out += cdata[cdata.index(amp, offsetBy: 9)..<end.lowerBound]
                    rest = cdata[end.upperBound...]
                } else {
                    out.append("<")
                    rest = rest[rest.index(after: amp)...]
                }
                continue
            }
            let entityStart = rest.index(after: amp)
            let window = rest[entityStart...].prefix(12)
            guard let semicolon = window.firstIndex(of: ";"), let text = entity(rest[entityStart..<semicolon]) else {
                out.append("&")
                rest = rest[entityStart...]
                continue
            }
            out += text
            rest = rest[rest.index(after: semicolon)...]
        }
        out += rest
        return out
    }

    /// The text an entity name (between `&` and `;`) stands for, or `nil`.
    private static func entity(_ name: Substring) -> String? {
        switch name {
        case "amp": return "&"
        case "lt": return "<"
        case "gt": return ">"
        case "quot": return "\""
        case "apos": return "'"
        default:
            guard name.hasPrefix("#") else { return nil }
            let digits = name.dropFirst()
            let value: UInt32?
            if digits.hasPrefix("x") || digits.hasPrefix("X") {
                value = UInt32(digits.dropFirst(), radix: 16)
            } else {
                value = UInt32(digits, radix: 10)
            }
            return value.flatMap(Unicode.Scalar.init).map { String(Character($0)) }
        }
    }

    /// `text` escaped for an element's content or an attribute value.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
