import Testing
import WALArchive

/// Cases of AWS's published SigV4 test suite (aws-sig-v4-test-suite):
/// example.amazonaws.com, us-east-1, service `service`, 20150830T123600Z.
@Suite("SigV4 signing")
struct SigV4Tests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var method: String
        var query: [[String]] = []
        var extraHeaders: [[String]] = []
        var body: String = ""
        var payloadHash: String = SigV4.emptyPayloadHash
        var canonicalRequest: String?
        var stringToSignHash: String?
        var signedHeaders: String
        var signature: String

        var testDescription: String { name }
    }

    static let suiteCredentials = SigV4Credentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

    static let cases: [Case] = [
        Case(
            name: "get-vanilla", method: "GET",
            canonicalRequest:
                "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            stringToSignHash: "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
            signedHeaders: "host;x-amz-date",
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Case(
            name: "get-vanilla-query-order-key-case", method: "GET", query: [["Param2", "value2"], ["Param1", "value1"]],
            canonicalRequest:
                "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            stringToSignHash: "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
            signedHeaders: "host;x-amz-date",
            signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
        Case(
            name: "post-vanilla", method: "POST", signedHeaders: "host;x-amz-date",
            signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
        Case(
            name: "post-vanilla-query", method: "POST", query: [["Param1", "value1"]],
            canonicalRequest:
                "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            stringToSignHash: "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
            signedHeaders: "host;x-amz-date",
            signature: "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
        Case(
            name: "post-header-key-case", method: "POST", extraHeaders: [["MY-HEADER1", "value1"]],
            stringToSignHash: "9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65",
            signedHeaders: "host;my-header1;x-amz-date",
            signature: "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"),
        Case(
            name: "post-x-www-form-urlencoded", method: "POST",
            extraHeaders: [["Content-Type", "application/x-www-form-urlencoded"]], body: "Param1=value1",
            payloadHash: "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
            canonicalRequest:
                "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
            stringToSignHash: "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
            signedHeaders: "content-type;host;x-amz-date",
            signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
    ]

    @Test("signs each test-suite case as AWS does", arguments: cases)
    func suiteCase(_ testCase: Case) throws {
        let headers = [(name: "Host", value: "example.amazonaws.com"), (name: "X-Amz-Date", value: "20150830T123600Z")]
            + testCase.extraHeaders.map { (name: $0[0], value: $0[1]) }
        let request = SigV4Request(
            method: testCase.method, path: "/", query: testCase.query.map { (name: $0[0], value: $0[1]) }, headers: headers,
            payloadHash: testCase.payloadHash)
        let signed = try SigV4.sign(
            request, credentials: Self.suiteCredentials, region: "us-east-1", service: "service", date: "20150830T123600Z")
        if let canonical = testCase.canonicalRequest { #expect(signed.canonicalRequest == canonical) }
        if let hash = testCase.stringToSignHash {
            #expect(signed.stringToSign == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\(hash)")
        }
        #expect(signed.signedHeaders == testCase.signedHeaders)
        #expect(signed.signature == testCase.signature)
        #expect(
            signed.authorization
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=\(testCase.signedHeaders), Signature=\(testCase.signature)"
        )
    }

    /// S3 API reference, "Signature Calculations for the Authorization
    /// Header": Example: GET Object, the first ten bytes of test.txt.
    @Test("signs S3's documented ranged GET Object example")
    func s3GetObjectExample() throws {
        let request = SigV4Request(
            method: "GET", path: SigV4.encodePath("/test.txt"),
            headers: [
                (name: "Host", value: "examplebucket.s3.amazonaws.com"), (name: "Range", value: "bytes=0-9"),
                (name: "x-amz-content-sha256", value: SigV4.emptyPayloadHash), (name: "x-amz-date", value: "20130524T000000Z"),
            ],
            payloadHash: SigV4.emptyPayloadHash)
        let signed = try SigV4.sign(
            request,
            credentials: SigV4Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1", service: "s3", date: "20130524T000000Z")
        #expect(
            signed.canonicalRequest
                == "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        )
        #expect(
            signed.stringToSign
                == "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
        )
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test("header values are trimmed and inner spaces collapsed; paths and query values are URI-encoded")
    func canonicalForms() throws {
        let request = SigV4Request(
            method: "get", path: SigV4.encodePath("/a b/ü~.seg"), query: [(name: "prefix", value: "db/seg ments/")],
            headers: [(name: "Host", value: "h"), (name: "My-Header", value: "  a   b  ")], payloadHash: "UNSIGNED-PAYLOAD")
        let signed = try SigV4.sign(
            request, credentials: Self.suiteCredentials, region: "us-east-1", service: "s3", date: "20150830T123600Z")
        #expect(signed.canonicalRequest == "GET\n/a%20b/%C3%BC~.seg\nprefix=db%2Fseg%20ments%2F\nhost:h\nmy-header:a b\n\nhost;my-header\nUNSIGNED-PAYLOAD")
    }

    @Test("a malformed date is refused, not signed", arguments: ["", "2015-08-30T12:36:00Z", "20150830123600Z", "20150830T123600"])
    func malformedDate(date: String) {
        let request = SigV4Request(method: "GET", path: "/", headers: [(name: "Host", value: "h")], payloadHash: SigV4.emptyPayloadHash)
        #expect(throws: ArchiveError.self) {
            try SigV4.sign(request, credentials: Self.suiteCredentials, region: "us-east-1", service: "s3", date: date)
        }
    }
}
