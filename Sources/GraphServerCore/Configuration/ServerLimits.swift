/// Limits the HTTP API enforces on each request.
public struct ServerLimits: Sendable, Equatable {
    /// The largest request body accepted; larger ones get 413.
    public var maxBodyBytes: Int
    /// The page size of `GET /nodes` and `GET /nodes/{id}/relationships` without `limit`.
    public var defaultPageSize: Int
    /// The largest `limit` a page query may ask for.
    public var maxPageSize: Int

    /// Limits with these values; the defaults are the server's.
    public init(maxBodyBytes: Int = 16 << 20, defaultPageSize: Int = 100, maxPageSize: Int = 10_000) {
        self.maxBodyBytes = maxBodyBytes
        self.defaultPageSize = defaultPageSize
        self.maxPageSize = maxPageSize
    }
}
