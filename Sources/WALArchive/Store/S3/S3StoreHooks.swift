import Foundation

/// What the S3 store takes from its surroundings besides the network: the
/// clock that dates (and so signs) each request, and how it waits between
/// retries. Tests replace them to check backoff and clock skew without
/// waiting or changing the machine's clock.
package struct S3StoreHooks: Sendable {
    package var now: @Sendable () -> Date
    package var sleep: @Sendable (Duration) async throws -> Void
    /// A uniformly random duration from zero to the given ceiling (full jitter).
    package var jitter: @Sendable (Duration) -> Duration

    package init(
        now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Duration) async throws -> Void,
        jitter: @escaping @Sendable (Duration) -> Duration
    ) {
        self.now = now
        self.sleep = sleep
        self.jitter = jitter
    }

    /// The real clock, `Task.sleep`, and the system's random numbers.
    package static let live = S3StoreHooks(
        now: { Date() },
        sleep: { try await Task.sleep(for: $0) },
        jitter: { ceiling in
            let (seconds, attoseconds) = ceiling.components
            let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
            return nanoseconds > 0 ? .nanoseconds(Int64.random(in: 0...nanoseconds)) : .zero
        })
}
