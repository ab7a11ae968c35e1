import Foundation
import GraphDatabase
import GraphServerCore
import GraphStore
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import WriteAheadLog

/// The process-wide Prometheus backend: swift-metrics takes one bootstrap
/// per process, so every test shares it.
let sharedMetrics = ServerMetrics.bootstrapPrometheus()

/// A database and the server over it, driven in-process through
/// HummingbirdTesting's router client.
struct TestServer: Sendable {
    let database: GraphDatabase
    let server: GraphServer

    /// A server over `storage` (in memory by default), with the archive
    /// `configure` asks for (whose rounds the test runs itself).
    static func make(
        storage: StorageLayout = .inMemory, syncMode: SyncMode = .none, adminToken: String? = nil,
        maxBodyBytes: Int = 1 << 20, fileSystem: (any FileSystem)? = nil, configure: (inout ServerConfiguration) -> Void = { _ in }
    ) throws -> TestServer {
        var configuration = ServerConfiguration()
        configuration.storage = storage
        configuration.wal = WALOptions(syncMode: syncMode, segmentTargetBytes: 1 << 20)
        if let fileSystem { configuration.wal.fileSystem = fileSystem }
        configuration.checkpointEveryBytes = nil
        configuration.adminToken = adminToken
        configuration.limits.maxBodyBytes = maxBodyBytes
        configure(&configuration)
        _ = sharedMetrics
        var logger = Logger(label: "graph-server-tests")
        logger.logLevel = .warning
        let archive = try ServerArchive.make(for: configuration, logger: logger)
        let (database, recovery) = try GraphDatabase.open(configuration.databaseConfiguration(logger: logger, archive: archive))
        ServerMetrics.recordRecovery(recovery)
        return TestServer(
            database: database, server: GraphServer(database: database, configuration: configuration, metrics: sharedMetrics, archive: archive))
    }

    /// Runs `body` against the router, then closes the database.
    func run<Value: Sendable>(_ body: @Sendable (Client) async throws -> Value) async throws -> Value {
        var logger = Logger(label: "graph-server-tests")
        logger.logLevel = .warning
        let app = Application(router: server.router(), logger: logger)
        defer { try? database.close() }
        return try await app.test(.router) { client in try await body(Client(inner: client)) }
    }
}

/// A response with its body parsed as JSON when it is JSON.
struct APIResponse: Sendable {
    var status: Int
    var headers: HTTPFields
    var text: String

    var json: JSONValue {
        get throws { try JSONParser.parse(text) }
    }

    /// The error code of an error body.
    var errorCode: String? {
        guard let json = try? json, case .string(let code)? = json["error"]?["code"] else { return nil }
        return code
    }

    var errorMessage: String {
        guard let json = try? json, case .string(let message)? = json["error"]?["message"] else { return "" }
        return message
    }
}

/// Requests in the shape the tests write them.
struct Client: Sendable {
    let inner: any TestClientProtocol

    /// A request; a body is sent as `application/json` unless `headers` say otherwise.
    func request(_ method: HTTPRequest.Method, _ uri: String, body: String? = nil, headers: HTTPFields = [:]) async throws -> APIResponse {
        let buffer = body.map { ByteBuffer(string: $0) }
        var headers = headers
        if body != nil && headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let response = try await inner.execute(uri: uri, method: method, headers: headers, body: buffer)
        return APIResponse(status: Int(response.status.code), headers: response.headers, text: String(buffer: response.body))
    }

    func get(_ uri: String) async throws -> APIResponse { try await request(.get, uri) }

    func post(_ uri: String, _ body: String? = nil, headers: HTTPFields = [:]) async throws -> APIResponse {
        try await request(.post, uri, body: body, headers: headers)
    }

    /// `POST /tx` with these ops (JSON text of the array).
    func tx(_ ops: String, query: String = "") async throws -> APIResponse {
        try await post("/tx" + query, "{\"ops\": \(ops)}")
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }

    var int: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var array: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }
}
