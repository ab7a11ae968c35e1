#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An OS thread of its own, for blocking work (fsync) that must never run on
/// the Swift concurrency cooperative pool.
package final class DedicatedThread: Sendable {
    private let handle: pthread_t

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    private init(handle: pthread_t) { self.handle = handle }

    /// Starts `body` on a new thread; `name` is used in error messages.
    package static func start(name: String, _ body: @escaping @Sendable () -> Void) throws -> DedicatedThread {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let body = Unmanaged<Body>.fromOpaque(raw).takeRetainedValue()
            body.run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw WALError(.io, "cannot start the \(name) thread", operation: "pthread_create", errno: result)
        }
        return DedicatedThread(handle: thread)
    }

    /// Whether the machine has a second processor online: work split over a
    /// second thread gains nothing without one.
    package static var hasSecondProcessor: Bool { sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1 }

    /// Waits for the thread to finish.
    package func join() {
        pthread_join(handle, nil)
    }
}
