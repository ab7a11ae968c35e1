import Crypto
import Foundation
import Testing
import WALArchive

/// The S3 store's behaviour over a scripted transport: retries, answers
/// lost after a conditional write took effect, error mapping, requests.
@Suite("S3 store (scripted transport)")
struct S3ArchiveStoreTests {
    /// `"<hex MD5>"`: what S3 gives a single-part upload as its ETag.
    static func etag(_ bytes: [UInt8]) -> String {
        "\"" + Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined() + "\""
    }

    @Test("a 503 is retried with exponential backoff until the put succeeds, each attempt signed anew")
    func retriesServerErrors() async throws {
        let transport = ScriptedTransport([
            .error(503, "SlowDown", "Please reduce your request rate."), .status(503), .status(500), .ok(etag: "\"abc\""),
        ])
        let hooks = TestHooks()
        let store = try scriptedStore(transport, hooks: hooks)
        let version = try await store.put("db/head", [1, 2, 3], condition: .unconditional)
        #expect(version == ObjectVersion(etag: "\"abc\""))
        #expect(transport.requests.count == 4)
        #expect(hooks.slept == [.milliseconds(100), .milliseconds(200), .milliseconds(400)])
        #expect(transport.requests.allSatisfy { $0.header("authorization")?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") == true })
    }

    @Test("backoff doubles from 100 ms and stops growing at 5 s")
    func backoffCeilings() {
        let policy = S3RetryPolicy()
        let ceilings = (1...9).map { policy.ceiling(beforeRetry: $0) }
        #expect(ceilings == [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000].map { Duration.milliseconds($0) })
        #expect(policy.attempts == 5)
    }

    @Test("retries end after the configured attempts with a server error carrying S3's code and status")
    func retriesRunOut() async throws {
        let transport = ScriptedTransport(Array(repeating: .error(503, "SlowDown", "Reduce your request rate."), count: 5))
        let hooks = TestHooks()
        let store = try scriptedStore(transport, hooks: hooks)
        let error = await #expect(throws: ArchiveError.self) { try await store.get("db/head") }
        #expect(error?.code == .server)
        #expect(error?.httpStatus == 503)
        #expect(error?.serviceCode == "SlowDown")
        #expect(error?.operation == "GetObject")
        #expect(error?.key == "db/head")
        #expect(error?.description.contains("5 attempts") == true)
        #expect(transport.requests.count == 5)
        #expect(hooks.slept.count == 4)
    }

    @Test("429, RequestTimeout (400) and InternalError with status 200 are retried", arguments: [
        ScriptedTransport.Step.status(429), .error(400, "RequestTimeout"), .error(500, "InternalError"),
    ])
    func retriesThrottlingAndTimeouts(first: ScriptedTransport.Step) async throws {
        let transport = ScriptedTransport([first, .ok(body: "x")])
        let store = try scriptedStore(transport)
        #expect(try await store.get("k")?.bytes == Array("x".utf8))
        #expect(transport.requests.count == 2)
    }

    @Test("connection failures are retried, then reported as unreachable naming the endpoint")
    func unreachable() async throws {
        let transport = ScriptedTransport(Array(repeating: .fail(.connection("connection refused")), count: 3))
        let store = try scriptedStore(transport) { $0.retry.attempts = 3 }
        let error = await #expect(throws: ArchiveError.self) { try await store.head("db/head") }
        #expect(error?.code == .unreachable)
        #expect(error?.description.contains("http://127.0.0.1:9000") == true)
        #expect(error?.description.contains("connection refused") == true)
        #expect(error?.operation == "HeadObject")
        #expect(error?.key == "db/head")
        #expect(transport.requests.count == 3)
    }

    @Test("403 is not retried and is access denied, naming the key, the operation and the credentials' variables")
    func accessDeniedIsFinal() async throws {
        let transport = ScriptedTransport([.error(403, "AccessDenied", "Access Denied"), .ok()])
        let hooks = TestHooks()
        let store = try scriptedStore(transport, hooks: hooks)
        let error = await #expect(throws: ArchiveError.self) { try await store.put("db/x", [1], condition: .unconditional) }
        #expect(error?.code == .accessDenied)
        #expect(error?.key == "db/x")
        #expect(error?.operation == "PutObject")
        #expect(error?.description.contains("AWS_ACCESS_KEY_ID") == true)
        #expect(error?.description.contains("Access Denied") == true)
        #expect(transport.requests.count == 1)
        #expect(hooks.slept.isEmpty)
    }

    @Test("other 4xx are not retried", arguments: [400, 404, 405, 411])
    func clientErrorsAreFinal(status: Int) async throws {
        let transport = ScriptedTransport([.error(status, "Whatever", "no"), .ok()])
        let store = try scriptedStore(transport)
        await #expect(throws: ArchiveError.self) { try await store.put("k", [1], condition: .unconditional) }
        #expect(transport.requests.count == 1)
    }

    @Test("a missing bucket is named as such")
    func noSuchBucket() async throws {
        let transport = ScriptedTransport([.error(404, "NoSuchBucket", "The specified bucket does not exist")])
        let store = try scriptedStore(transport, bucket: "archive-bucket")
        let error = await #expect(throws: ArchiveError.self) { try await store.get("k") }
        #expect(error?.code == .noSuchBucket)
        #expect(error?.description.contains("archive-bucket") == true)
    }

    @Test("a create whose answer was lost, then 412 on the retry, is ours when the object has our bytes' MD5")
    func lostAnswerOfCreate() async throws {
        let bytes = Array("piece".utf8)
        let transport = ScriptedTransport([
            .fail(.timedOut(.seconds(30))),
            .error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold"),
            .status(200, headers: [("ETag", Self.etag(bytes)), ("Content-Length", "5")]),
        ])
        let store = try scriptedStore(transport)
        let version = try await store.put("db/segments/1-2.seg", bytes, condition: .ifAbsent)
        #expect(version.etag == Self.etag(bytes))
        #expect(transport.requests.map(\.method) == ["PUT", "PUT", "HEAD"])
        #expect(transport.requests[0].header("if-none-match") == "*")
        #expect(transport.requests[1].header("if-none-match") == "*")
    }

    @Test("a replace whose answer was lost, then 412 on the retry, is ours when the object has our bytes' MD5")
    func lostAnswerOfReplace() async throws {
        let bytes = Array("new head".utf8)
        let transport = ScriptedTransport([
            .fail(.connection("connection reset by peer")),
            .error(412, "PreconditionFailed"),
            .status(200, headers: [("ETag", Self.etag(bytes)), ("Content-Length", "8")]),
        ])
        let store = try scriptedStore(transport)
        let version = try await store.put("db/head", bytes, condition: .ifMatches(ObjectVersion(etag: "\"old\"")))
        #expect(version.etag == Self.etag(bytes))
        #expect(transport.requests.map(\.method) == ["PUT", "PUT", "HEAD"])
        #expect(transport.requests[1].header("if-match") == "\"old\"")
    }

    @Test("412 on the first attempt is a genuine conflict: preconditionFailed, no read-back")
    func genuineConflict() async throws {
        let transport = ScriptedTransport([.error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold")])
        let store = try scriptedStore(transport)
        let error = await #expect(throws: ArchiveError.self) { try await store.put("db/head", [1], condition: .ifAbsent) }
        #expect(error?.code == .preconditionFailed)
        #expect(error?.key == "db/head")
        #expect(error?.operation == "PutObject")
        #expect(transport.requests.count == 1)
    }

    @Test("412 after a retry is a conflict when the object holds other bytes")
    func conflictAfterRetry() async throws {
        let transport = ScriptedTransport([
            .status(503), .error(412, "PreconditionFailed"),
            .status(200, headers: [("ETag", Self.etag([9, 9])), ("Content-Length", "2")]),
        ])
        let store = try scriptedStore(transport)
        let error = await #expect(throws: ArchiveError.self) { try await store.put("db/head", [1], condition: .ifAbsent) }
        #expect(error?.code == .preconditionFailed)
        #expect(transport.requests.map(\.method) == ["PUT", "PUT", "HEAD"])
    }

    @Test("409 ConditionalRequestConflict is a lost condition too")
    func conditionalConflict() async throws {
        let transport = ScriptedTransport([.error(409, "ConditionalRequestConflict", "A conflicting conditional operation is in progress")])
        let store = try scriptedStore(transport)
        let error = await #expect(throws: ArchiveError.self) {
            try await store.put("db/head", [1], condition: .ifMatches(ObjectVersion(etag: "\"a\"")))
        }
        #expect(error?.code == .preconditionFailed)
    }

    @Test("If-Match on a missing key (S3: 404 NoSuchKey) is a lost condition")
    func replaceOfMissingKey() async throws {
        let transport = ScriptedTransport([.error(404, "NoSuchKey", "The specified key does not exist.")])
        let store = try scriptedStore(transport)
        let error = await #expect(throws: ArchiveError.self) {
            try await store.put("db/head", [1], condition: .ifMatches(ObjectVersion(etag: "\"a\"")))
        }
        #expect(error?.code == .preconditionFailed)
    }

    @Test("RequestTimeTooSkewed is clock skew, with the server's and the local time, not retried")
    func clockSkew() async throws {
        let transport = ScriptedTransport([
            .error(
                403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.",
                extra: "<RequestTime>20150830T123600Z</RequestTime><ServerTime>2015-08-30T13:40:00Z</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>"),
        ])
        let store = try scriptedStore(transport)
        let error = await #expect(throws: ArchiveError.self) { try await store.put("db/head", [1], condition: .unconditional) }
        #expect(error?.code == .clockSkew)
        #expect(error?.message.contains("2015-08-30T13:40:00Z") == true, "server time: \(String(describing: error))")
        #expect(error?.message.contains("2015-08-30T12:36:00Z") == true, "local time: \(String(describing: error))")
        #expect(error?.key == "db/head")
        #expect(transport.requests.count == 1)
    }

    @Test("a bodiless 403 (HEAD) whose Date is far from the local clock is clock skew")
    func clockSkewOfHead() async throws {
        let transport = ScriptedTransport([.status(403, headers: [("Date", "Sun, 30 Aug 2015 14:00:00 GMT")])])
        let store = try scriptedStore(transport)
        let error = await #expect(throws: ArchiveError.self) { try await store.head("db/head") }
        #expect(error?.code == .clockSkew)
        #expect(error?.message.contains("2015-08-30T14:00:00Z") == true)
    }

    @Test("the x-amz-date is the hooks' clock, and the payload hash is the body's SHA-256")
    func signedHeaders() async throws {
        let transport = ScriptedTransport([.ok(etag: "\"e\"")])
        let store = try scriptedStore(transport) { $0.sessionToken = "token/with+chars" }
        _ = try await store.put("k", Array("hello".utf8), condition: .unconditional)
        let request = try #require(transport.requests.first)
        #expect(request.header("x-amz-date") == "20150830T123600Z")
        #expect(request.header("x-amz-content-sha256") == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        #expect(request.header("x-amz-security-token") == "token/with+chars")
        let authorization = try #require(request.header("authorization"))
        #expect(authorization.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"))
        #expect(authorization.contains("Credential=AKIDEXAMPLE/20150830/us-east-1/s3/aws4_request"))
        #expect(request.body == Array("hello".utf8))
    }

    @Test("the signature is SigV4's for the request as sent")
    func signatureMatchesSigner() async throws {
        let transport = ScriptedTransport([.ok(body: "x")])
        let store = try scriptedStore(transport)
        _ = try await store.get("a b/c&d")
        let request = try #require(transport.requests.first)
        let signed = try SigV4.sign(
            SigV4Request(
                method: "GET", path: "/bucket/a%20b/c%26d",
                headers: [
                    ("host", "127.0.0.1:9000"), ("x-amz-date", "20150830T123600Z"), ("x-amz-content-sha256", SigV4.emptyPayloadHash),
                ], payloadHash: SigV4.emptyPayloadHash),
            credentials: SigV4Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret"), region: "us-east-1", service: "s3",
            date: "20150830T123600Z")
        #expect(request.header("authorization") == signed.authorization)
        #expect(request.header("host") == "127.0.0.1:9000")
    }
}
