import Synchronization

extension LogEngine {
    /// Records that everything up to `lsn` is in the kernel and wakes whoever waited for it.
    func publishWritten(_ lsn: LSN) {
        // Called under the write lock, so LSNs arrive in order.
        writtenMirror.store(lsn.rawValue, ordering: .sequentiallyConsistent)
        guard asyncWaiterCount.load(ordering: .sequentiallyConsistent) > 0 else { return }
        let ready: [AsyncWaiter] = progress.withLock { progress in
            progress.takeWaiters { !$0.durable && $0.lsn <= lsn }
        }
        resume(ready)
    }

    /// Records that an fsync outside group commit (rotation's) covered
    /// everything up to `lsn`. Threads blocked on a group fsync learn of it
    /// when their generation ends.
    func publishDurable(_ lsn: LSN) {
        resume(progress.withLock { $0.recordDurable(lsn, mirror: durableMirror) })
    }

    /// Resumes waiters taken out of the progress state.
    func resume(_ waiters: [AsyncWaiter], throwing error: (any Error)? = nil) {
        guard !waiters.isEmpty else { return }
        asyncWaiterCount.subtract(waiters.count, ordering: .sequentiallyConsistent)
        for waiter in waiters {
            if let error { waiter.continuation.resume(throwing: error) } else { waiter.continuation.resume() }
        }
    }
}
