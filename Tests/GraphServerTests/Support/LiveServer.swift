import Foundation
import GraphDatabase
import GraphServerCore
import Hummingbird
import Logging
import ServiceLifecycle

/// A ``GraphServer`` listening on a free loopback port in this process,
/// with its real connection handling (limits, TLS), for raw clients.
enum LiveServer {
    /// Serves `configuration` (in memory unless it says otherwise) on
    /// 127.0.0.1 and a free port while `body` runs, then stops and closes.
    static func run<Value: Sendable>(
        _ configure: (inout ServerConfiguration) -> Void = { _ in }, logger: Logger? = nil,
        _ body: @Sendable (_ port: Int) async throws -> Value
    ) async throws -> Value {
        var configuration = ServerConfiguration()
        configuration.storage = .inMemory
        configuration.port = 0
        configuration.checkpointEveryBytes = nil
        configure(&configuration)
        _ = sharedMetrics
        let logger = logger ?? {
            var logger = Logger(label: "graph-server-tests")
            logger.logLevel = .critical
            return logger
        }()
        let (database, _) = try GraphDatabase.open(configuration.databaseConfiguration(logger: logger))
        defer { try? database.close() }
        let server = GraphServer(database: database, configuration: configuration, metrics: sharedMetrics)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = try server.application(logger: logger) { _, port in continuation.yield(port) }
        let services = ServiceGroup(services: [application], logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw LoopbackHTTP.Failure(description: "the server did not start") }
            let result: Result<Value, any Error>
            do {
                result = .success(try await body(port))
            } catch {
                result = .failure(error)
            }
            // As in production: stop accepting, finish what is in flight. A
            // hard cancel would drop accepted connections not yet handed over.
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
            return try result.get()
        }
    }
}
