import Crypto

/// ETags as the store reports them: always in double quotes, as S3 sends
/// them in headers and (entity-encoded) in listings, so a version read from
/// a put, a head, a get or a list compares equal and works in `If-Match`.
enum S3ETag {
    /// `etag` in double quotes (a server that sends it bare gets quotes added).
    static func normalized(_ etag: String) -> String {
        let trimmed = etag.trimmingSpaces()
        if trimmed.hasPrefix("\"") || trimmed.hasPrefix("W/\"") { return trimmed }
        return "\"" + trimmed + "\""
    }

    /// The ETag S3 gives a single-part upload of `bytes` (without
    /// SSE-KMS or SSE-C): the hex MD5 of the bytes.
    static func singlePart(_ bytes: [UInt8]) -> String {
        "\"" + Insecure.MD5.hash(data: bytes).map(hexByte).joined() + "\""
    }

    /// The ETag S3 gives a multipart upload: the hex MD5 of the parts'
    /// binary MD5s one after another, a dash and the number of parts.
    static func multipart(partDigests: [[UInt8]]) -> String {
        var hash = Insecure.MD5()
        for digest in partDigests { hash.update(data: digest) }
        return "\"" + hash.finalize().map(hexByte).joined() + "-\(partDigests.count)\""
    }

    /// The binary MD5 of one part.
    static func digest(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        Array(Insecure.MD5.hash(data: bytes))
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingSpaces() -> String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !blank($0) }), let end = lastIndex(where: { !blank($0) }) else { return "" }
        return String(self[start...end])
    }
}
