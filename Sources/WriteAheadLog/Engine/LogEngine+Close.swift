extension LogEngine {
    /// Writes, fsyncs, stops the flusher, then releases the directory lock.
    ///
    /// A close that finds another under way waits until that one has
    /// released the lock: returning at once would let its caller reopen the
    /// directory while the first still held it, and fail with `alreadyOpen`.
    func close() throws {
        let wasClosed = append.withLock { state in
            defer { state.closed = true }
            return state.closed
        }
        guard !wasClosed else {
            _ = progress.wait(timeout: nil) { progress, _ in progress.closeFinished ? () : nil }
            return
        }
        defer {
            progress.withLock { $0.closeFinished = true }
            progress.broadcast()
        }
        var closingError: (any Error)?
        if !poisoned.load(ordering: .acquiring) {
            do { try waitDurable(append.withLock { $0.lastAppendedLSN }) } catch { closingError = error }
        }
        stopFlusher()
        let left = progress.withLock { $0.takeWaiters { _ in true } }
        resume(left, throwing: WALError(.closed, "the log was closed while waiting", path: directory.root))
        lock.release()
        if let closingError { throw closingError }
    }
}
