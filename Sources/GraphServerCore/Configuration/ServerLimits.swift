/// Limits the HTTP API enforces on each request.
public struct ServerLimits: Sendable, Equatable {
    /// The largest request body accepted; larger ones get 413.
    public var maxBodyBytes: Int
    /// The page size of `GET /nodes` and `GET /nodes/{id}/relationships` without `limit`.
    public var defaultPageSize: Int
    /// The largest `limit` a page query may ask for.
    public var maxPageSize: Int
    /// The most nodes one `GET /nodes?key=` request looks at when no index
    /// answers it; the page then ends early with a cursor to continue from.
    public var maxScan: Int

    /// Limits with these values; the defaults are the server's.
    public init(maxBodyBytes: Int = 16 << 20, defaultPageSize: Int = 100, maxPageSize: Int = 10_000, maxScan: Int = 100_000) {
        self.maxBodyBytes = maxBodyBytes
        self.defaultPageSize = defaultPageSize
        self.maxPageSize = maxPageSize
        self.maxScan = max(maxScan, 1)
    }
}
