import NIOPosix

/// Runs blocking work (fsync, snapshot files, the directory lock) on
/// NIO's blocking thread pool, so that it never holds a thread of the
/// Swift cooperative pool, which request handling needs.
enum Blocking {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
