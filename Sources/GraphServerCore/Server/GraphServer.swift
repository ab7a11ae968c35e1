import GraphDatabase
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// The HTTP server over one ``GraphDatabase``: its routes, middleware and
/// lifecycle. The executable parses flags and calls ``run(logger:onListening:)``;
/// tests build ``application(logger:)`` and drive it in-process.
public struct GraphServer: Sendable {
    /// The database and archive the routes use.
    public let slot: DatabaseSlot
    /// Host, port, limits and the admin token.
    public let configuration: ServerConfiguration
    /// What `GET /metrics` renders; nil answers it with 400 `unavailable`.
    public let metrics: ServerMetrics?
    /// The idempotency keys of recent transactions, rebuilt from what recovery replayed.
    let idempotencyKeys: IdempotencyKeys

    /// The database the routes read and write (a replica's in-memory graph
    /// until its promotion); the server closes it on shutdown.
    public var database: GraphDatabase { slot.database }
    /// The continuous archive of the log (`--archive`, or a promoted
    /// replica's); nil without one.
    public var archive: ServerArchive? { slot.archive }
    /// The read replica this server is, or was until promoted (`--replica-of`).
    public var replica: ServerReplica? { slot.replica }

    /// A server over an open database; with an archive, the database should
    /// be opened with ``ServerConfiguration/databaseConfiguration(logger:archive:)``
    /// for the same archive, so that truncation waits for it.
    public init(database: GraphDatabase, configuration: ServerConfiguration, metrics: ServerMetrics? = nil, archive: ServerArchive? = nil) {
        self.slot = DatabaseSlot(database: database, archive: archive)
        self.configuration = configuration
        self.metrics = metrics
        self.idempotencyKeys = IdempotencyKeys(recovered: database.recoveredAnnotations)
    }

    /// A read replica's server (see ``ServerReplica/make(for:logger:)``):
    /// reads from the followed graph, writes refused until promoted.
    public init(replica: ServerReplica, configuration: ServerConfiguration, metrics: ServerMetrics? = nil) {
        self.slot = DatabaseSlot(database: replica.database, archive: nil, replica: replica)
        self.configuration = configuration
        self.metrics = metrics
        self.idempotencyKeys = IdempotencyKeys(recovered: [])
    }

    /// Every route, behind the metrics, error and cross-site middleware,
    /// each group behind the bearer tokens configured for it.
    ///
    /// The admin token opens everything, a write token writes and reads, a
    /// read token reads; a group with none of its tokens configured is open.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        // Outermost first: metrics see every status; the cross-site check
        // refuses before anything else runs and adds CORS headers to the
        // responses the error middleware makes of failures.
        router.add(middleware: RequestMetricsMiddleware())
        router.add(middleware: CrossSiteMiddleware(policy: CrossSitePolicy(configuration: configuration)))
        let routes = RouteTable()
        router.add(middleware: ErrorMiddleware(routes: routes))

        let admin = router.group("admin")
        if let token = configuration.adminToken {
            admin.add(middleware: TokenAuthMiddleware(tokens: [token], what: "the admin token (--admin-token)"))
        }
        let writes = router.group()
        if let token = configuration.writeToken {
            writes.add(
                middleware: TokenAuthMiddleware(
                    tokens: [token] + [configuration.adminToken].compactMap { $0 }, what: "the write token (--write-token)"))
        }
        let reads = router.group()
        if let token = configuration.readToken {
            reads.add(
                middleware: TokenAuthMiddleware(
                    tokens: [token] + [configuration.writeToken, configuration.adminToken].compactMap { $0 },
                    what: "the read token (--read-token)"))
        }
        // A replica refuses writes and the admin routes (all of which write)
        // until promoted, and reads of the graph until it has restored one;
        // a fenced primary refuses writes.
        let graphReads = reads.group()
        let adminWrites = admin.group()
        writes.add(middleware: RoleGateMiddleware(slot: slot, guarding: .writes))
        adminWrites.add(middleware: RoleGateMiddleware(slot: slot, guarding: .admin))
        graphReads.add(middleware: RoleGateMiddleware(slot: slot, guarding: .reads))
        let decoding = DecodingBudget(capacity: max(configuration.limits.maxDecodingBytes, configuration.limits.maxBodyBytes))
        GraphRoutes(slot: slot, limits: configuration.limits, decoding: decoding, keys: idempotencyKeys).register(reads: graphReads, writes: writes)
        HealthRoutes(slot: slot, metrics: metrics, adminToken: configuration.adminToken)
            .register(open: router, reads: reads)
        AdminRoutes(slot: slot, limits: configuration.limits, snapshots: SnapshotFolder(configuration: configuration))
            .register(on: adminWrites)
        PromotionRoute(slot: slot, keys: idempotencyKeys).register(on: admin)
        routes.record(router.routes)
        return router
    }

    /// The Hummingbird application bound to the configured host and port,
    /// over TLS when configured, with the connection limits.
    ///
    /// Throws when the TLS files cannot be read or do not form a certificate
    /// and its key; the message names the flag and the file.
    public func application(
        logger: Logger, onListening: @escaping @Sendable (String, Int) -> Void = { _, _ in }
    ) throws -> some ApplicationProtocol {
        let limits = configuration.limits
        let guardLimits = ConnectionGuardHandler.Limits(
            header: TimeAmount(limits.headerTimeout), body: TimeAmount(limits.bodyTimeout), idle: TimeAmount(limits.idleTimeout))
        let tls = try configuration.tls.map { try ServerTLS.configuration($0) }
        let server = HTTPServerBuilder { responder in
            let channel = GuardedHTTPChannel(responder: responder, limits: guardLimits)
            guard let tls else { return channel }
            return try TLSChannel(channel, tlsConfiguration: tls)
        }
        return Application(
            router: router(),
            server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "graph-server",
                availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections, logger: logger)),
            onServerRunning: { channel in
                let address = channel.localAddress
                onListening(address?.ipAddress ?? "?", address?.port ?? 0)
            },
            logger: logger)
    }

    /// Serves until SIGTERM or SIGINT, then shuts down in order: the HTTP
    /// server stops accepting and finishes the requests in flight (so every
    /// commit in progress completes), then the database syncs and closes,
    /// then the archive ships what is left in one last round.
    public func run(logger: Logger, onListening: @escaping @Sendable (String, Int) -> Void = { _, _ in }) async throws {
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: try services(logger: logger, onListening: onListening),
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
    }

    /// The services ``run(logger:onListening:)`` runs, for a service group
    /// of the caller's (tests shut it down without signals).
    ///
    /// ServiceGroup shuts services down in reverse order, waiting for each:
    /// the HTTP server stops first, the database closes after it, and the
    /// archive, listed first, makes its final round on the closed log.
    public func services(
        logger: Logger, onListening: @escaping @Sendable (String, Int) -> Void = { _, _ in }
    ) throws -> [ServiceGroupConfiguration.ServiceConfiguration] {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let replica {
            services.append(ServiceGroupConfiguration.ServiceConfiguration(service: RoundsService.replicating(replica)))
        } else if let archive {
            services.append(ServiceGroupConfiguration.ServiceConfiguration(service: RoundsService.archiving(archive)))
        }
        services.append(ServiceGroupConfiguration.ServiceConfiguration(service: DatabaseService(slot: slot, logger: logger)))
        services.append(
            ServiceGroupConfiguration.ServiceConfiguration(
                service: try application(logger: logger, onListening: onListening),
                successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup))
        return services
    }
}

/// Keeps the database open while the server runs and closes it (write,
/// fsync, release the directory lock) once a graceful shutdown reaches it.
struct DatabaseService: Service {
    let slot: DatabaseSlot
    let logger: Logger

    func run() async throws {
        // Returns on graceful shutdown; throws on cancellation. Close either way.
        try? await gracefulShutdown()
        // The database in the slot then: a promoted replica's is the one it opened.
        let database = slot.database
        do {
            try await Blocking.run { try database.close() }
            logger.info("database closed")
        } catch {
            logger.error("closing the database failed", metadata: ["error": "\(error)"])
            throw error
        }
    }
}
