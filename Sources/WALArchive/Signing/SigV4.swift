import Crypto

/// Credentials for AWS Signature Version 4.
public struct SigV4Credentials: Sendable, Equatable {
    public var accessKeyID: String
    public var secretAccessKey: String

    public init(accessKeyID: String, secretAccessKey: String) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
    }
}

/// The parts of an HTTP request that SigV4 signs.
public struct SigV4Request: Sendable, Equatable {
    /// `GET`, `PUT`, ... (upper-cased when signed).
    public var method: String
    /// The path, already URI-encoded as it goes on the wire (see
    /// ``SigV4/encodePath(_:)``): S3 signs the path exactly as sent.
    public var path: String
    /// Query parameters, not encoded; order does not matter.
    public var query: [(name: String, value: String)]
    /// Every header to sign, `host` and `x-amz-date` included; names in any case.
    public var headers: [(name: String, value: String)]
    /// Lowercase hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
    public var payloadHash: String

    public init(
        method: String, path: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)],
        payloadHash: String
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.payloadHash = payloadHash
    }

    public static func == (lhs: SigV4Request, rhs: SigV4Request) -> Bool {
        lhs.method == rhs.method && lhs.path == rhs.path && lhs.payloadHash == rhs.payloadHash
            && lhs.query.map { [$0.name, $0.value] } == rhs.query.map { [$0.name, $0.value] }
            && lhs.headers.map { [$0.name, $0.value] } == rhs.headers.map { [$0.name, $0.value] }
    }
}

/// A computed signature, with the intermediate strings for diagnosis.
public struct SigV4Signature: Sendable, Equatable {
    public var canonicalRequest: String
    public var stringToSign: String
    /// `host;x-amz-date`, ...
    public var signedHeaders: String
    /// Lowercase hex.
    public var signature: String
    /// The value of the `Authorization` header.
    public var authorization: String
}

/// AWS Signature Version 4 (header authentication): a pure function of the
/// request, the credentials, the region, the service and the time.
public enum SigV4 {
    /// The hex SHA-256 of an empty body.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Signs `request` at `date` (`yyyyMMdd'T'HHmmss'Z'`, UTC: the request's
    /// `x-amz-date`).
    ///
    /// - Throws: ``ArchiveError`` `.invalidArgument` for a malformed date.
    public static func sign(
        _ request: SigV4Request, credentials: SigV4Credentials, region: String, service: String, date: String
    ) throws -> SigV4Signature {
        let dateBytes = Array(date.utf8)
        let digits = dateBytes.enumerated().allSatisfy { index, byte in
            index == 8 ? byte == UInt8(ascii: "T") : index == 15 ? byte == UInt8(ascii: "Z") : (byte >= 48 && byte <= 57)
        }
        guard dateBytes.count == 16, digits else {
            throw ArchiveError(.invalidArgument, "a SigV4 date reads like 20150830T123600Z (got \(date))")
        }
        let day = String(date.prefix(8))
        let scope = "\(day)/\(region)/\(service)/aws4_request"

        // Header names lowercased; values trimmed, inner runs of spaces
        // collapsed; repeated names joined with commas in request order.
        var headers: [String: [String]] = [:]
        for (name, value) in request.headers {
            headers[name.lowercased(), default: []].append(normalizeHeaderValue(value))
        }
        let names = headers.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let canonicalHeaders = names.map { "\($0):\(headers[$0, default: []].joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")

        let canonicalQuery = request.query
            .map { (uriEncode($0.name, keepSlash: false), uriEncode($0.value, keepSlash: false)) }
            .sorted { lhs, rhs in
                lhs.0 == rhs.0
                    ? Array(lhs.1.utf8).lexicographicallyPrecedes(Array(rhs.1.utf8))
                    : Array(lhs.0.utf8).lexicographicallyPrecedes(Array(rhs.0.utf8))
            }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")

        let canonicalRequest = [
            request.method.uppercased(), request.path.isEmpty ? "/" : request.path, canonicalQuery, canonicalHeaders,
            signedHeaders, request.payloadHash,
        ].joined(separator: "\n")
        let stringToSign = [
            "AWS4-HMAC-SHA256", date, scope, hex(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")

        var key = SymmetricKey(data: Array(("AWS4" + credentials.secretAccessKey).utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        let signature = hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return SigV4Signature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signedHeaders: signedHeaders, signature: signature,
            authorization: authorization)
    }

    /// A path URI-encoded for S3: every byte but the unreserved characters
    /// and `/` as `%XX`.
    public static func encodePath(_ path: String) -> String {
        uriEncode(path, keepSlash: true)
    }

    /// RFC 3986 encoding as SigV4 defines it: `A-Z a-z 0-9 - _ . ~` stay,
    /// every other byte of the UTF-8 becomes `%XX` (upper-case hex).
    static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: "/") where keepSlash:
                out.append("/")
            default:
                out += "%" + hexByte(byte).uppercased()
            }
        }
        return out
    }

    static func normalizeHeaderValue(_ value: String) -> String {
        value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            .trimmingCharactersInSet()
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map(hexByte).joined()
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingCharactersInSet() -> String {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !blank($0) }), let end = lastIndex(where: { !blank($0) }) else { return "" }
        return String(self[start...end])
    }
}
