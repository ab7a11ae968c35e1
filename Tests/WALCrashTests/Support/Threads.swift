import Foundation
import Synchronization

/// Runs `body(index)` on `count` dedicated OS threads and waits for all of
/// them. Blocking WAL calls must not run on the Swift concurrency pool,
/// and on a 2-core machine the pool has only two threads to block.
func runOnThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            body(index)
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    group.wait()
}

/// Runs `body` on a dedicated OS thread and waits for it: tests call
/// blocking WAL methods through this, off the cooperative pool.
func onThread<R: Sendable>(_ body: @escaping @Sendable () throws -> R) throws -> R {
    let result = LockedBox<Result<R, any Error>?>(nil)
    runOnThreads(1) { _ in result.set(Result { try body() }) }
    guard let value = result.get() else { throw CancellationError() }
    return try value.get()
}

/// A value behind a lock, for handing results between threads in tests.
final class LockedBox<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    func get() -> Value { storage.withLock { $0 } }
    func set(_ value: Value) { storage.withLock { $0 = value } }
    func update<R>(_ body: (inout Value) throws -> R) rethrows -> R { try storage.withLock { try body(&$0) } }
}

/// A latch a test opens once: threads that `wait()` block until then.
final class Gate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let opened = Mutex(false)
    func open() {
        let first = opened.withLock { opened in
            defer { opened = true }
            return !opened
        }
        if first { semaphore.signal() }
    }
    /// Waits until opened (or `timeout` passes); returns whether it opened.
    @discardableResult
    func wait(timeout: Duration = .seconds(10)) -> Bool {
        let (seconds, attoseconds) = timeout.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        let ok = semaphore.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success
        if ok { semaphore.signal() }
        return ok
    }
}
