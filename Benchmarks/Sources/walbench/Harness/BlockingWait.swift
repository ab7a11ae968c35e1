import Dispatch
import Synchronization

/// Runs `operation` as a detached task and blocks the calling thread until
/// it is done.
///
/// walbench keeps a synchronous `main` and reaches the `async` world only
/// here: an `async` main parks the main thread in `dispatch_main`, whose
/// `rt_sigsuspend` valgrind 3.19 cannot follow, and the benchmark must stay
/// runnable under callgrind for profiling. The caller is a plain thread,
/// never a cooperative-pool one, so blocking it costs the pool nothing.
func blockingWait<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) throws -> T {
    let outcome = Mutex<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        let result: Result<T, any Error>
        do {
            result = .success(try await operation())
        } catch {
            result = .failure(error)
        }
        outcome.withLock { $0 = result }
        done.signal()
    }
    done.wait()
    guard let result = outcome.withLock({ $0 }) else {
        throw BenchError("an async workload finished without a result")
    }
    return try result.get()
}
