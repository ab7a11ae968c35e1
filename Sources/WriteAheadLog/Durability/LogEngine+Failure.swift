import Synchronization

extension LogEngine {
    /// Throws `poisoned` once a write or fsync has failed.
    ///
    /// Inlined: every commit asks, and the healthy answer is one load.
    @inline(__always)
    func checkHealthy(_ operation: String, lsn: LSN? = nil) throws {
        guard poisoned.load(ordering: .acquiring) else { return }
        try throwPoisoned(operation, lsn: lsn)
    }

    /// The error ``checkHealthy(_:lsn:)`` throws once the log is poisoned.
    private func throwPoisoned(_ operation: String, lsn: LSN?) throws -> Never {
        let reason = progress.withLock { $0.failure }.map { "\($0)" } ?? "an earlier write or fsync failed"
        throw WALError(
            .poisoned, "the log is poisoned and refuses writes until it is reopened: \(reason)",
            operation: operation, path: directory.root, lsn: lsn)
    }

    /// Latches the first failure: every later write, flush and sync fails,
    /// and no fsync is retried (the kernel may have dropped the dirty pages,
    /// so a later successful fsync would not prove anything).
    func poison(_ error: any Error) {
        let cause = error as? WALError ?? WALError(.io, "\(error)", path: directory.root)
        let reason = "\(cause)"
        let waiters = progress.withLock { progress in
            if progress.failure == nil { progress.failure = cause }
            progress.group.abandonHandoff()
            return progress.takeWaiters { _ in true }
        }
        poisoned.store(true, ordering: .releasing)
        generationSignals.even.notifyAll()
        generationSignals.odd.notifyAll()
        progress.broadcast()
        resume(waiters, throwing: WALError(.poisoned, "the log is poisoned: \(reason)", path: directory.root))
    }

    /// Runs `body`, which fsyncs segment files, under the fsync gate: one
    /// such fsync at a time, none after one failed.
    ///
    /// After a failed fsync the kernel may have dropped the dirty pages, and
    /// a later fsync of the same file (Linux reports a writeback error once
    /// per open file) can succeed without them. The group-sync leader and a
    /// rotation fsync the active segment from different threads, so without
    /// the gate one's success could be published after the other's failure.
    /// Under it, a failure poisons the log before the gate opens again, and
    /// every fsync first checks the latch.
    func fsyncing(_ operation: String, _ body: () throws -> Void) throws {
        try fsyncGate.withLock { _ in
            try checkHealthy(operation)
            do {
                try body()
            } catch {
                poison(error)
                throw error
            }
        }
    }

    /// Throws `closed` once `close` has begun.
    func checkOpen(_ operation: String) throws {
        guard append.withLock({ $0.closed }) else { return }
        throw WALError(.closed, "the log was closed", operation: operation, path: directory.root)
    }
}
