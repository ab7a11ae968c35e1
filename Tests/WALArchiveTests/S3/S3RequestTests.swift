import Testing
import WALArchive

/// The URLs the S3 store sends: addressing style, key encoding, listing
/// queries, and the parsing of S3's XML answers.
@Suite("S3 requests and answers (scripted transport)")
struct S3RequestTests {
    /// The URL of the one request `body` makes through a store with `configure`.
    func url(
        bucket: String = "bucket", configure: (inout S3Configuration) -> Void = { _ in },
        _ body: (S3ArchiveStore) async throws -> Void
    ) async throws -> String? {
        let transport = ScriptedTransport([.ok(body: "x")])
        try await body(try scriptedStore(transport, bucket: bucket, configure: configure))
        return transport.requests.first?.url
    }

    @Test("AWS's endpoint names a DNS-compatible bucket in the host, and encodes the key per SigV4")
    func virtualHostOnAWS() async throws {
        let url = try await url(configure: { $0.endpoint = .aws(region: "eu-west-1"); $0.region = "eu-west-1" }) {
            _ = try await $0.get("db/a b&c+d/é~_.-")
        }
        #expect(url == "https://bucket.s3.eu-west-1.amazonaws.com/db/a%20b%26c%2Bd/%C3%A9~_.-")
    }

    @Test("a dotted bucket on AWS, and any bucket on a custom endpoint, go path-style")
    func pathStyle() async throws {
        let dotted = try await url(bucket: "my.bucket", configure: { $0.endpoint = .aws(region: "us-east-1") }) {
            _ = try await $0.get("k")
        }
        #expect(dotted == "https://s3.us-east-1.amazonaws.com/my.bucket/k")
        let custom = try await url { _ = try await $0.get("a+b") }
        #expect(custom == "http://127.0.0.1:9000/bucket/a%2Bb")
    }

    @Test("forced styles override the choice by endpoint")
    func forcedStyles() async throws {
        let virtual = try await url(configure: { $0.endpoint = S3Endpoint(scheme: "http", host: "minio.local", port: 9000); $0.addressing = .virtualHost }) {
            _ = try await $0.get("k")
        }
        #expect(virtual == "http://bucket.minio.local:9000/k")
        let path = try await url(configure: { $0.endpoint = .aws(region: "us-east-1"); $0.addressing = .path }) {
            _ = try await $0.get("k")
        }
        #expect(path == "https://s3.us-east-1.amazonaws.com/bucket/k")
    }

    @Test("a listing is ListObjectsV2 with list-type, max-keys, prefix and start-after, encoded")
    func listQuery() async throws {
        let transport = ScriptedTransport([.ok(body: "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>")])
        let store = try scriptedStore(transport)
        _ = try await store.list(prefix: "db/x y", after: "db/x y/segments/1&2", limit: 10)
        #expect(
            transport.requests.first?.url
                == "http://127.0.0.1:9000/bucket?list-type=2&max-keys=10&prefix=db%2Fx%20y&start-after=db%2Fx%20y%2Fsegments%2F1%262")
        #expect(transport.requests.first?.method == "GET")
    }

    @Test("a listing's keys, sizes and ETags are decoded from S3's XML, entities included; a truncated page continues after its last key")
    func listParsing() async throws {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bucket</Name><Prefix>db/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>
              <Contents><Key>db/a &amp; b &lt;c&gt; &#43;&#x2B; &apos;q&apos;</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>&quot;0123&quot;</ETag><Size>17</Size><StorageClass>STANDARD</StorageClass></Contents>
              <Contents>
                <Key>db/é</Key>
                <ETag>"4567-2"</ETag>
                <Size>5</Size>
              </Contents>
            </ListBucketResult>
            """
        let transport = ScriptedTransport([.ok(body: body)])
        let page = try await scriptedStore(transport).list(prefix: "db/", after: nil, limit: 2)
        #expect(page.objects.map(\.key) == ["db/a & b <c> ++ 'q'", "db/é"])
        #expect(page.objects.map(\.size) == [17, 5])
        #expect(page.objects.map(\.version.etag) == ["\"0123\"", "\"4567-2\""])
        #expect(page.continuation == "db/é")
    }

    @Test("a last page has no continuation; an empty bucket lists nothing")
    func lastPage() async throws {
        let transport = ScriptedTransport([
            .ok(body: "<ListBucketResult><Contents><Key>k</Key><ETag>e</ETag><Size>1</Size></Contents><IsTruncated>false</IsTruncated></ListBucketResult>"),
            .ok(body: "<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>"),
        ])
        let store = try scriptedStore(transport)
        let page = try await store.list(prefix: "", after: nil, limit: 5)
        #expect(page.continuation == nil)
        #expect(page.objects.first?.version.etag == "\"e\"")
        #expect(try await store.list(prefix: "x", after: nil, limit: 5).objects.isEmpty)
    }

    @Test("versions are quoted ETags from put, get and head alike")
    func versionsAgree() async throws {
        let transport = ScriptedTransport([
            .ok(etag: "\"v1\""), .status(200, headers: [("ETag", "\"v1\"")], body: "x"),
            .status(200, headers: [("etag", "v1"), ("content-length", "1")]),
        ])
        let store = try scriptedStore(transport)
        let put = try await store.put("k", [1], condition: .unconditional)
        let got = try await store.get("k")?.info.version
        let head = try await store.head("k")?.version
        #expect(put.etag == "\"v1\"")
        #expect(got == put)
        #expect(head == put)
    }

    @Test("missing objects are nil for get and head, and deleting one succeeds")
    func missing() async throws {
        let transport = ScriptedTransport([.error(404, "NoSuchKey"), .status(404), .error(404, "NoSuchKey"), .status(204)])
        let store = try scriptedStore(transport)
        #expect(try await store.get("k") == nil)
        #expect(try await store.head("k") == nil)
        try await store.delete("k")
        try await store.delete("k")
        #expect(transport.requests.map(\.method) == ["GET", "HEAD", "DELETE", "DELETE"])
    }

    @Test("keys S3 or HTTP stacks would change are refused", arguments: ["", "a/../b", "./x", "a/.", String(repeating: "k", count: 1025)])
    func invalidKeys(key: String) async throws {
        let transport = ScriptedTransport([])
        let store = try scriptedStore(transport)
        let error = await #expect(throws: ArchiveError.self) { try await store.put(key, [1], condition: .unconditional) }
        #expect(error?.code == .invalidArgument)
        #expect(transport.requests.isEmpty)
    }
}
