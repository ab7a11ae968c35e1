import Crypto
import Testing
import WALArchive

/// Multipart uploads over a scripted transport: the calls in order, the
/// abort on failure, and a completion whose answer was lost.
@Suite("S3 multipart upload (scripted transport)")
struct S3MultipartTests {
    static let partSize = 5 * 1024 * 1024
    /// Two parts: 5 MiB and 1 MiB.
    static let bytes = (0..<(6 * 1024 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31) }

    static func md5(_ bytes: ArraySlice<UInt8>) -> [UInt8] { Array(Insecure.MD5.hash(data: bytes)) }
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// The ETag S3 gives the two-part upload of ``bytes``.
    static var multipartETag: String {
        let digests = [md5(bytes[..<partSize]), md5(bytes[partSize...])]
        return "\"" + hex(Array(Insecure.MD5.hash(data: digests.flatMap { $0 }))) + "-2\""
    }

    func store(_ transport: ScriptedTransport) throws -> S3ArchiveStore {
        try scriptedStore(transport) {
            $0.multipartThreshold = 1024 * 1024
            $0.partSize = Self.partSize
        }
    }

    static let initiated = ScriptedTransport.Step.ok(
        body: "<InitiateMultipartUploadResult><Bucket>bucket</Bucket><Key>big</Key><UploadId>up&amp;1</UploadId></InitiateMultipartUploadResult>")

    @Test("an object above the threshold goes up in parts, the condition on the completion")
    func uploadsInParts() async throws {
        let transport = ScriptedTransport([
            Self.initiated, .ok(etag: "\"p1\""), .ok(etag: "\"p2\""),
            .ok(body: "<CompleteMultipartUploadResult><Key>big</Key><ETag>&quot;whole-2&quot;</ETag></CompleteMultipartUploadResult>"),
        ])
        let version = try await store(transport).put("big", Self.bytes, condition: .ifAbsent)
        #expect(version.etag == "\"whole-2\"")
        let requests = transport.requests
        #expect(requests.map(\.method) == ["POST", "PUT", "PUT", "POST"])
        #expect(requests[0].url == "http://127.0.0.1:9000/bucket/big?uploads=")
        #expect(requests[1].url == "http://127.0.0.1:9000/bucket/big?partNumber=1&uploadId=up%261")
        #expect(requests[1].body.count == Self.partSize)
        #expect(requests[2].body.count == Self.bytes.count - Self.partSize)
        #expect(requests[3].url == "http://127.0.0.1:9000/bucket/big?uploadId=up%261")
        #expect(requests[3].header("if-none-match") == "*")
        #expect(requests[0].header("if-none-match") == nil)
        let complete = String(decoding: requests[3].body, as: UTF8.self)
        #expect(complete.contains("<Part><PartNumber>1</PartNumber><ETag>&quot;p1&quot;</ETag></Part><Part><PartNumber>2</PartNumber><ETag>&quot;p2&quot;</ETag></Part>"))
    }

    @Test("a part that fails for good aborts the upload and reports the part's error")
    func abortsOnFailure() async throws {
        let transport = ScriptedTransport([
            Self.initiated, .ok(etag: "\"p1\""), .error(400, "InvalidArgument", "Part number must be an integer"), .status(204),
        ])
        let error = await #expect(throws: ArchiveError.self) {
            try await store(transport).put("big", Self.bytes, condition: .unconditional)
        }
        #expect(error?.operation == "UploadPart")
        #expect(error?.serviceCode == "InvalidArgument")
        #expect(transport.requests.map(\.method) == ["POST", "PUT", "PUT", "DELETE"])
        #expect(transport.requests.last?.url == "http://127.0.0.1:9000/bucket/big?uploadId=up%261")
    }

    @Test("a completion failing its condition aborts the upload")
    func conditionFailsOnCompletion() async throws {
        let transport = ScriptedTransport([
            Self.initiated, .ok(etag: "\"p1\""), .ok(etag: "\"p2\""), .error(412, "PreconditionFailed"), .status(204),
        ])
        let error = await #expect(throws: ArchiveError.self) { try await store(transport).put("big", Self.bytes, condition: .ifAbsent) }
        #expect(error?.code == .preconditionFailed)
        #expect(error?.operation == "CompleteMultipartUpload")
        #expect(transport.requests.last?.method == "DELETE")
    }

    @Test("a completion whose answer was lost is ours when the object has the ETag our parts make")
    func lostCompletion() async throws {
        let transport = ScriptedTransport([
            Self.initiated, .ok(etag: "\"p1\""), .ok(etag: "\"p2\""), .fail(.timedOut(.seconds(30))),
            .error(404, "NoSuchUpload", "The specified upload does not exist."),
            .status(200, headers: [("ETag", Self.multipartETag), ("Content-Length", String(Self.bytes.count))]),
        ])
        let version = try await store(transport).put("big", Self.bytes, condition: .ifAbsent)
        #expect(version.etag == Self.multipartETag)
        #expect(transport.requests.map(\.method) == ["POST", "PUT", "PUT", "POST", "POST", "HEAD"])
    }

    @Test("a completion failing with status 200 and an <Error> body is retried")
    func errorWithStatus200() async throws {
        let transport = ScriptedTransport([
            Self.initiated, .ok(etag: "\"p1\""), .ok(etag: "\"p2\""),
            .ok(body: "<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>"),
            .ok(body: "<CompleteMultipartUploadResult><ETag>\"w-2\"</ETag></CompleteMultipartUploadResult>"),
        ])
        let version = try await store(transport).put("big", Self.bytes, condition: .unconditional)
        #expect(version.etag == "\"w-2\"")
        #expect(transport.requests.count == 5)
    }

    @Test("a replace-if-match above the threshold goes up as one PUT with If-Match")
    func largeReplaceIsOnePut() async throws {
        let transport = ScriptedTransport([.ok(etag: "\"new\"")])
        let version = try await store(transport).put("big", Self.bytes, condition: .ifMatches(ObjectVersion(etag: "\"old\"")))
        #expect(version.etag == "\"new\"")
        #expect(transport.requests.map(\.method) == ["PUT"])
        #expect(transport.requests.first?.header("if-match") == "\"old\"")
        #expect(transport.requests.first?.url == "http://127.0.0.1:9000/bucket/big")
    }

    @Test("parts smaller than 5 MiB are refused when the store is made")
    func smallPartsRefused() throws {
        let error = #expect(throws: ArchiveError.self) {
            try scriptedStore(ScriptedTransport([])) { $0.partSize = 1024 * 1024 }
        }
        #expect(error?.code == .invalidArgument)
    }
}
