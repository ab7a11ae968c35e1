/// Limits the HTTP API enforces on each request and connection.
public struct ServerLimits: Sendable, Equatable {
    /// The largest request body accepted; larger ones get 413 and the connection is closed.
    public var maxBodyBytes: Int
    /// Bytes of request bodies decoded at once, across requests; at least
    /// ``maxBodyBytes`` is always allowed, so one maximal body never waits for nothing.
    public var maxDecodingBytes: Int
    /// The page size of `GET /nodes` and `GET /nodes/{id}/relationships` without `limit`.
    public var defaultPageSize: Int
    /// The largest `limit` a page query may ask for.
    public var maxPageSize: Int
    /// The most candidates one filtered page query examines before it
    /// returns what it found with a cursor to continue from.
    public var maxScan: Int
    /// The largest snapshot file `/admin/snapshot/load` reads.
    public var maxSnapshotBytes: UInt64
    /// How long a client may take to send a request's head, from its first byte.
    public var headerTimeout: Duration
    /// How long a client may take to send a request's body, from the end of its head.
    public var bodyTimeout: Duration
    /// How long a kept-alive connection may wait for its next request.
    public var idleTimeout: Duration
    /// The most connections served at once; more wait in the listen backlog.
    public var maxConnections: Int

    /// Limits with these values; the defaults are the server's.
    public init(
        maxBodyBytes: Int = 16 << 20, maxDecodingBytes: Int = 64 << 20, defaultPageSize: Int = 100, maxPageSize: Int = 10_000, maxScan: Int = 100_000,
        maxSnapshotBytes: UInt64 = 4 << 30, headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(60),
        idleTimeout: Duration = .seconds(60), maxConnections: Int = 512
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxDecodingBytes = maxDecodingBytes
        self.defaultPageSize = defaultPageSize
        self.maxPageSize = maxPageSize
        self.maxScan = max(maxScan, 1)
        self.maxSnapshotBytes = maxSnapshotBytes
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
    }
}
