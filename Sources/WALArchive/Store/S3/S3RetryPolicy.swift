/// How often and how patiently the S3 store retries a request that failed
/// in a way that may pass: a lost connection, a timeout, HTTP 500, 502,
/// 503, 504 or 429, and S3's `SlowDown`, `InternalError` and
/// `RequestTimeout`. Other client errors (4xx) are never retried.
///
/// Waits use exponential backoff with full jitter: before retry `n` the
/// store sleeps a uniformly random time between zero and
/// `min(maxDelay, baseDelay * 2^(n-1))`, so many clients that failed
/// together do not retry together.
public struct S3RetryPolicy: Sendable, Equatable {
    /// Tries in all, the first included. Default 5.
    public var attempts: Int
    /// The longest wait before the first retry. Default 100 ms.
    public var baseDelay: Duration
    /// The longest wait before any retry. Default 5 s.
    public var maxDelay: Duration

    public init(attempts: Int = 5, baseDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(5)) {
        self.attempts = attempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The longest wait before retry `retry` (1 after the first attempt).
    public func ceiling(beforeRetry retry: Int) -> Duration {
        let doublings = min(max(retry - 1, 0), 30)
        let grown = baseDelay * (1 << doublings)
        return min(grown, maxDelay)
    }
}
