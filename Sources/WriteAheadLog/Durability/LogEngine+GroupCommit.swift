extension LogEngine {
    /// Blocks until an fsync covers `lsn`, running it if nobody else is.
    ///
    /// Group commit: while one caller's fsync is in flight, the callers it
    /// covers sleep on its generation's signal and the rest register for
    /// the next generation. When it ends, one call wakes all it covered; if
    /// anyone registered for the next, the leader begins that generation
    /// and wakes one of them to lead it. Those still waiting are not woken,
    /// so they do not wake only to sleep again.
    ///
    /// Only leaders write pending bytes: a waiter that wrote its own first
    /// would queue on the write lock behind the others only to find its
    /// bytes already written.
    @usableFromInline
    func waitDurable(_ lsn: LSN) throws {
        var registeredFor: UInt64?
        while true {
            if registeredFor == nil, durableMirror.load(ordering: .acquiring) >= lsn.rawValue { return }
            let step = try progress.withLock { progress in
                try nextStep(toward: lsn, registeredFor: &registeredFor, &progress)
            }
            switch step {
            case .done: return
            case .lead: try leadSync()
            case .sleep(let signal, let ticket): signal.wait(ticket)
            }
        }
    }

    private enum SyncStep {
        case done
        case lead
        case sleep(EventCount, ticket: UInt32)
    }

    /// Decides, under the progress lock, what a thread waiting for `lsn`
    /// does next. `registeredFor` is the generation it registered for when
    /// it last slept, if it did.
    private func nextStep(toward lsn: LSN, registeredFor: inout UInt64?, _ progress: inout Progress) throws -> SyncStep {
        if let generation = registeredFor {
            registeredFor = nil
            if generation == progress.syncGeneration + 1 {
                // Woke before its generation began: register again below.
                progress.waitingForNext -= 1
            } else if generation == progress.syncGeneration, progress.syncInFlight {
                if progress.handoffPending {
                    progress.handoffPending = false
                    return .lead
                }
                // Registered before this generation's leader wrote, so the
                // fsync in flight covers it.
                return sleep(on: generation)
            }
        }
        if let failure = progress.failure {
            throw WALError(.poisoned, "the log is poisoned: \(failure)", operation: "sync", path: directory.root, lsn: lsn)
        }
        if progress.durableLSN >= lsn { return .done }
        guard progress.syncInFlight else {
            progress.beginGeneration()
            return .lead
        }
        // Until the leader has written, what it will cover is unknown; it
        // will write everything appended before it does, which takes in
        // this caller unless the leader is writing right now. Guessing
        // "covered" costs one extra wake-up when wrong; guessing "next"
        // when covered would cost a whole empty generation.
        if progress.syncTarget.map({ $0 >= lsn }) ?? true {
            return sleep(on: progress.syncGeneration)
        }
        progress.waitingForNext += 1
        registeredFor = progress.syncGeneration + 1
        return sleep(on: progress.syncGeneration + 1)
    }

    /// The ticket is taken under the progress lock, before the generation's
    /// leader can end it, so its notification is never missed.
    private func sleep(on generation: UInt64) -> SyncStep {
        let signal = signal(for: generation)
        return .sleep(signal, ticket: signal.prepareWait())
    }

    private func signal(for generation: UInt64) -> EventCount {
        generation % 2 == 0 ? generationSignals.even : generationSignals.odd
    }

    /// Runs the current generation's group fsync as its leader: writes what
    /// is pending, fsyncs the active segment, then ends the generation.
    func leadSync() throws {
        do {
            try writePending()
            let (file, target) = writer.withLock { ($0.file, $0.writtenLSN) }
            progress.withLock { $0.syncTarget = target }
            if target > durableLSN {
                let started = ContinuousClock.now
                try fsyncing("fsync") { try file.sync() }
                let elapsed = ContinuousClock.now - started
                metrics.fsyncs.increment()
                metrics.fsyncDuration.recordNanoseconds(Int64(elapsed.components.seconds) * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
            }
            endGeneration(durable: target)
            metrics.durableLag.record(Int64(nextLSN.rawValue - 1 - target.rawValue))
        } catch {
            poison(error)
            endGeneration(durable: nil)
            throw error
        }
    }

    /// Publishes what the leader's fsync made durable, wakes the threads it
    /// covered and, when threads registered for the next generation, begins
    /// it and wakes one of them to lead it.
    private func endGeneration(durable target: LSN?) {
        let commits = commitCount.load(ordering: .relaxed)
        let (ready, ended, handedOff, previousCommits) = progress.withLock { progress in
            let ready = target.map { progress.recordDurable($0, mirror: durableMirror) } ?? []
            let ended = progress.syncGeneration
            let handedOff = progress.waitingForNext > 0 && progress.failure == nil
            if handedOff {
                progress.beginGeneration()
                progress.handoffPending = true
            } else {
                progress.syncInFlight = false
                progress.syncTarget = nil
            }
            defer { progress.commitsAtLastSync = commits }
            return (ready, ended, handedOff, progress.commitsAtLastSync)
        }
        // The covered first: they commit again while the next leader wakes,
        // so its write can take their new commits in.
        signal(for: ended).notifyAll()
        if handedOff { signal(for: ended + 1).notifyOne() }
        resume(ready)
        if target != nil { metrics.commitsPerFsync.record(commits - previousCommits) }
    }
}
