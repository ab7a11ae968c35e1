import Synchronization

/// Waits for work at most `timeout`, without cancelling it: the work goes
/// on in the background when time runs out (a round blocked in a system
/// call could not be interrupted anyway), and the caller moves on.
enum Deadline {
    /// The work's result, or nil when `timeout` passed first.
    static func run<T: Sendable>(within timeout: Duration, _ work: @escaping @Sendable () async -> T) async -> T? {
        let pending = Mutex<CheckedContinuation<T?, Never>?>(nil)
        let resume = { @Sendable (value: T?) in pending.withLock { $0.take() }?.resume(returning: value) }
        return await withCheckedContinuation { continuation in
            pending.withLock { $0 = continuation }
            let timer = Task {
                // Cancelled once the work is done: then the work answered.
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                resume(nil)
            }
            Task {
                let value = await work()
                resume(value)
                timer.cancel()
            }
        }
    }
}
