extension LogEngine {
    /// Suspends until `lsn` is written (`durable == false`) or durable,
    /// without blocking a thread: the flusher thread does the I/O and
    /// resumes the continuation.
    @usableFromInline
    func waitAsync(_ lsn: LSN, durable: Bool, cancellable: Bool) async throws {
        let reached = durable ? durableMirror.load(ordering: .acquiring) : writtenMirror.load(ordering: .acquiring)
        if reached >= lsn.rawValue { return }
        let id: UInt64 = progress.withLock { progress in
            let id = progress.nextWaiterID
            progress.nextWaiterID += 1
            progress.waiters[id] = .reserved
            return id
        }
        let register = { (continuation: CheckedContinuation<Void, any Error>) in
            enum Outcome { case wait, ready, cancelled, failed(WALError) }
            let outcome: Outcome = self.progress.withLock { progress in
                if case .cancelled = progress.waiters[id] {
                    progress.waiters[id] = nil
                    return .cancelled
                }
                if let failure = progress.failure {
                    progress.waiters[id] = nil
                    return .failed(failure)
                }
                // Count first, then look: a publisher that stored its LSN
                // before this load is seen here; one that stores after it
                // sees the count and takes the lock.
                self.asyncWaiterCount.add(1, ordering: .sequentiallyConsistent)
                let written = LSN(self.writtenMirror.load(ordering: .sequentiallyConsistent))
                if (durable ? progress.durableLSN : written) >= lsn {
                    self.asyncWaiterCount.subtract(1, ordering: .sequentiallyConsistent)
                    progress.waiters[id] = nil
                    return .ready
                }
                progress.waiters[id] = .registered(AsyncWaiter(lsn: lsn, durable: durable, continuation: continuation))
                if durable { progress.syncRequested = true } else { progress.writeRequested = true }
                return .wait
            }
            switch outcome {
            case .wait: self.progress.broadcast()
            case .ready: continuation.resume()
            case .cancelled: continuation.resume(throwing: CancellationError())
            case .failed(let failure):
                continuation.resume(
                    throwing: WALError(.poisoned, "the log is poisoned: \(failure)", path: self.directory.root, lsn: lsn))
            }
        }
        guard cancellable else {
            try await withCheckedThrowingContinuation(register)
            return
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation(register)
        } onCancel: {
            let waiter: AsyncWaiter? = progress.withLock { progress in
                switch progress.waiters[id] {
                case .registered(let waiter):
                    progress.waiters[id] = nil
                    asyncWaiterCount.subtract(1, ordering: .sequentiallyConsistent)
                    return waiter
                case .reserved:
                    progress.waiters[id] = .cancelled
                    return nil
                case .cancelled, nil:
                    return nil
                }
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }
}
