import GraphDatabase
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// The HTTP server over one ``GraphDatabase``: its routes, middleware and
/// lifecycle. The executable parses flags and calls ``run(logger:onListening:)``;
/// tests build ``application(logger:)`` and drive it in-process.
public struct GraphServer: Sendable {
    /// The database the routes read and write; the server closes it on shutdown.
    public let database: GraphDatabase
    /// Host, port, limits and the admin token.
    public let configuration: ServerConfiguration
    /// What `GET /metrics` renders; nil answers it with 400 `unavailable`.
    public let metrics: ServerMetrics?

    /// A server over an open database.
    public init(database: GraphDatabase, configuration: ServerConfiguration, metrics: ServerMetrics? = nil) {
        self.database = database
        self.configuration = configuration
        self.metrics = metrics
    }

    /// Every route, behind the metrics and error middleware, with
    /// `/admin/*` behind the bearer token when one is configured.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        // Outermost first: metrics see the status the error middleware chose.
        router.add(middleware: RequestMetricsMiddleware())
        router.add(middleware: ErrorMiddleware())
        GraphRoutes(database: database, limits: configuration.limits).register(on: router)
        HealthRoutes(database: database, metrics: metrics).register(on: router)
        let admin = router.group("admin")
        if let token = configuration.adminToken {
            admin.add(middleware: AdminAuthMiddleware(token: token))
        }
        AdminRoutes(database: database, limits: configuration.limits).register(on: admin)
        return router
    }

    /// The Hummingbird application bound to the configured host and port.
    public func application(
        logger: Logger, onListening: @escaping @Sendable (String, Int) -> Void = { _, _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "graph-server"),
            onServerRunning: { channel in
                let address = channel.localAddress
                onListening(address?.ipAddress ?? "?", address?.port ?? 0)
            },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then shuts down in order: the HTTP
    /// server stops accepting and finishes the requests in flight (so every
    /// commit in progress completes), then the database syncs and closes.
    ///
    /// ServiceGroup shuts services down in reverse order, waiting for each,
    /// so listing the database first closes it after the server has stopped.
    public func run(logger: Logger, onListening: @escaping @Sendable (String, Int) -> Void = { _, _ in }) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [
                    ServiceGroupConfiguration.ServiceConfiguration(service: DatabaseService(database: database, logger: logger)),
                    ServiceGroupConfiguration.ServiceConfiguration(
                        service: application(logger: logger, onListening: onListening),
                        successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }
}

/// Keeps the database open while the server runs and closes it (write,
/// fsync, release the directory lock) once a graceful shutdown reaches it.
struct DatabaseService: Service {
    let database: GraphDatabase
    let logger: Logger

    func run() async throws {
        // Returns on graceful shutdown; throws on cancellation. Close either way.
        try? await gracefulShutdown()
        let database = database
        do {
            try await Blocking.run { try database.close() }
            logger.info("database closed")
        } catch {
            logger.error("closing the database failed", metadata: ["error": "\(error)"])
            throw error
        }
    }
}
