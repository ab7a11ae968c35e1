#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A mutex with a condition variable, guarding one value.
///
/// `Synchronization.Mutex` has no condition variable, and waiting for an
/// fsync to finish needs one. This wraps `pthread_mutex_t` and a monotonic
/// `pthread_cond_t`.
///
/// `@unchecked Sendable` is sound here: `value` is only read or written
/// inside `withLock` / `wait`, that is, while the pthread mutex is held, and
/// the pthread objects live at stable heap addresses for the object's life.
final class ConditionLock<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` with the lock held.
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// Holds the lock, waiting on the condition (at most `timeout`) until
    /// `body` returns a result; `body` is told when the time is up.
    func wait<R>(timeout: Duration?, _ body: (inout Value, _ timedOut: Bool) -> R?) -> R? {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        var deadline = timespec()
        if let timeout {
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            let (seconds, attoseconds) = timeout.components
            var nanoseconds = Int(deadline.tv_nsec) + Int(attoseconds / 1_000_000_000)
            // A deadline past the end of time waits until then, not a trap.
            let (end, overflow) = deadline.tv_sec.addingReportingOverflow(Int(clamping: seconds) &+ nanoseconds / 1_000_000_000)
            deadline.tv_sec = overflow ? .max : end
            nanoseconds %= 1_000_000_000
            deadline.tv_nsec = nanoseconds
        }
        var timedOut = false
        while true {
            if let result = body(&value, timedOut) { return result }
            if timedOut { return nil }
            if timeout != nil {
                if pthread_cond_timedwait(condition, mutex, &deadline) == ETIMEDOUT { timedOut = true }
            } else {
                pthread_cond_wait(condition, mutex)
            }
        }
    }

    /// Wakes every waiter.
    func broadcast() {
        pthread_cond_broadcast(condition)
    }
}
