import Testing
import WALArchive

/// S3 settings from the standard AWS environment variables.
@Suite("S3 configuration from the environment")
struct S3ConfigurationTests {
    static let credentials = ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"]

    @Test("credentials only: us-east-1, AWS's endpoint, addressing by endpoint, default sizes")
    func defaults() throws {
        let configuration = try S3Configuration(environment: Self.credentials)
        #expect(configuration.credentials == SigV4Credentials(accessKeyID: "AKID", secretAccessKey: "secret"))
        #expect(configuration.sessionToken == nil)
        #expect(configuration.region == "us-east-1")
        #expect(configuration.endpoint == .aws(region: "us-east-1"))
        #expect(configuration.endpoint.description == "https://s3.us-east-1.amazonaws.com")
        #expect(configuration.addressing == .automatic)
        #expect(configuration.multipartThreshold == 16 * 1024 * 1024)
        #expect(configuration.partSize == 8 * 1024 * 1024)
        #expect(configuration.retry == S3RetryPolicy(attempts: 5, baseDelay: .milliseconds(100), maxDelay: .seconds(5)))
        #expect(configuration.requestTimeout == .seconds(30))
    }

    @Test("every variable read, the S3-specific endpoint before the general one")
    func everything() throws {
        var environment = Self.credentials
        environment["AWS_SESSION_TOKEN"] = "token"
        environment["AWS_REGION"] = "eu-central-1"
        environment["AWS_DEFAULT_REGION"] = "us-west-2"
        environment["AWS_ENDPOINT_URL"] = "http://general:1"
        environment["AWS_ENDPOINT_URL_S3"] = "http://127.0.0.1:9000/"
        environment["AWS_S3_FORCE_PATH_STYLE"] = "false"
        let configuration = try S3Configuration(environment: environment)
        #expect(configuration.sessionToken == "token")
        #expect(configuration.region == "eu-central-1")
        #expect(configuration.endpoint == S3Endpoint(scheme: "http", host: "127.0.0.1", port: 9000))
        #expect(configuration.addressing == .virtualHost)
    }

    @Test("fallbacks: AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, the region's endpoint; empty counts as unset")
    func fallbacks() throws {
        var environment = Self.credentials
        environment["AWS_REGION"] = ""
        environment["AWS_DEFAULT_REGION"] = "ap-south-1"
        #expect(try S3Configuration(environment: environment).endpoint.description == "https://s3.ap-south-1.amazonaws.com")
        environment["AWS_ENDPOINT_URL"] = "https://storage.example:443"
        environment["AWS_S3_FORCE_PATH_STYLE"] = "TRUE"
        let configuration = try S3Configuration(environment: environment)
        #expect(configuration.region == "ap-south-1")
        #expect(configuration.endpoint == S3Endpoint(scheme: "https", host: "storage.example", port: nil))
        #expect(configuration.addressing == .path)
        #expect(!configuration.endpoint.isAWS)
    }

    @Test("missing credentials name the variables", arguments: [
        ([String: String](), ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]),
        (["AWS_ACCESS_KEY_ID": "AKID"], ["AWS_SECRET_ACCESS_KEY"]),
        (["AWS_SECRET_ACCESS_KEY": "s", "AWS_ACCESS_KEY_ID": ""], ["AWS_ACCESS_KEY_ID"]),
    ])
    func missingCredentials(environment: [String: String], missing: [String]) {
        let error = #expect(throws: ArchiveError.self) { try S3Configuration(environment: environment) }
        #expect(error?.code == .missingCredentials)
        for name in missing { #expect(error?.message.contains("not set: ") == true && error?.message.contains(name) == true) }
    }

    @Test("a malformed endpoint or path-style flag is refused", arguments: [
        ("AWS_ENDPOINT_URL", "ftp://host"), ("AWS_ENDPOINT_URL_S3", "http://host/path"), ("AWS_ENDPOINT_URL", "not a url"),
        ("AWS_S3_FORCE_PATH_STYLE", "maybe"),
    ])
    func malformed(name: String, value: String) {
        var environment = Self.credentials
        environment[name] = value
        let error = #expect(throws: ArchiveError.self) { try S3Configuration(environment: environment) }
        #expect(error?.code == .invalidArgument)
    }

    @Test("an s3:// location makes an S3 store over its bucket; without credentials it says which are missing")
    func locationMakesStore() throws {
        let location = try ArchiveLocation(parsing: "s3://archive-bucket/db/x")
        let store = try location.makeStore(environment: Self.credentials)
        let s3 = try #require(store as? S3ArchiveStore)
        #expect(s3.bucket == "archive-bucket")
        #expect(location.prefix == "db/x")
        let error = #expect(throws: ArchiveError.self) { try location.makeStore(environment: [:]) }
        #expect(error?.code == .missingCredentials)
        #expect(error?.message.contains("AWS_ACCESS_KEY_ID") == true)
    }

    @Test("IPv6 endpoints keep their brackets in the URL")
    func ipv6() throws {
        let endpoint = try S3Endpoint(url: "http://[::1]:9000")
        #expect(endpoint.host == "::1")
        #expect(endpoint.description == "http://[::1]:9000")
    }
}
