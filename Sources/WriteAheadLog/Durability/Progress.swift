import Synchronization

/// What the progress lock guards: how far writes and fsyncs got, the latched
/// failure, waiters, and requests for the flusher thread.
struct Progress {
    var durableLSN: LSN
    /// Group-commit leadership and generations.
    var group = GroupCommit()
    /// The write or fsync failure that poisoned the log.
    var failure: WALError?
    var waiters: [UInt64: WaiterSlot] = [:]
    var nextWaiterID: UInt64 = 0
    var writeRequested = false
    var syncRequested = false
    var prefaultRequested = false
    var stopping = false
    /// Set once `close` has released the directory lock; a second close waits for it.
    var closeFinished = false
    var commitsAtLastSync = 0
}


extension Progress {
    /// Moves the durable LSN up to `lsn` (never down) and takes out the
    /// `async` waiters that reached it.
    mutating func recordDurable(_ lsn: LSN, mirror: borrowing Atomic<UInt64>) -> [AsyncWaiter] {
        guard lsn > durableLSN else { return [] }
        durableLSN = lsn
        mirror.store(lsn.rawValue, ordering: .releasing)
        return takeWaiters { $0.lsn <= lsn }
    }

    /// Removes and returns the registered waiters `isSatisfied` accepts.
    mutating func takeWaiters(_ isSatisfied: (AsyncWaiter) -> Bool) -> [AsyncWaiter] {
        var ready: [AsyncWaiter] = []
        if waiters.isEmpty { return ready }
        for (id, slot) in waiters {
            if case .registered(let waiter) = slot, isSatisfied(waiter) {
                ready.append(waiter)
                waiters[id] = nil
            }
        }
        return ready
    }
}
