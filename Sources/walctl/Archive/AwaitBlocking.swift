import Dispatch
import Synchronization

/// Runs `work` to completion and returns its result, for walctl's commands,
/// which are synchronous, calling the archive's `async` API.
///
/// The calling thread blocks on a semaphore while `work` runs on the
/// concurrency pool; walctl's main thread is not part of that pool, so
/// this cannot starve it.
func awaitBlocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let result = Mutex<Result<T, any Error>?>(nil)
    let finished = DispatchSemaphore(value: 0)
    Task {
        let outcome: Result<T, any Error>
        do { outcome = .success(try await work()) } catch { outcome = .failure(error) }
        result.withLock { $0 = outcome }
        finished.signal()
    }
    finished.wait()
    guard let outcome = result.withLock({ $0 }) else {
        throw WalctlFailure(.failed, "an archive operation ended without a result")
    }
    return try outcome.get()
}
