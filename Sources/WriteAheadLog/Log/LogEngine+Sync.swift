#if canImport(Glibc)
import Glibc
#endif
import Dispatch

extension LogEngine {
    /// Blocks until an fsync covers `lsn`, running it if nobody else is.
    ///
    /// Group commit: while one caller's fsync is in flight, later callers
    /// park, each on its own semaphore. When it ends, it wakes those it
    /// covered and exactly one of the rest, which runs the next fsync for
    /// all of them; nobody else wakes, so many waiters do not stampede.
    @usableFromInline
    func waitDurable(_ lsn: LSN) throws {
        if durableMirror.load(ordering: .acquiring) >= lsn.rawValue { return }
        try ensureWritten(lsn)
        enum Next { case done, lead, park(DispatchSemaphore) }
        while true {
            let next: Next = try progress.withLock { progress in
                if let failure = progress.failure {
                    throw WALError(.poisoned, "the log is poisoned: \(failure)", operation: "sync", path: directory.root, lsn: lsn)
                }
                if progress.durableLSN >= lsn { return .done }
                if progress.syncInFlight {
                    let semaphore = DispatchSemaphore(value: 0)
                    progress.blocked.append(BlockedWaiter(lsn: lsn, semaphore: semaphore))
                    return .park(semaphore)
                }
                progress.syncInFlight = true
                return .lead
            }
            switch next {
            case .done: return
            case .lead: try leadSync()
            case .park(let semaphore): semaphore.wait()
            }
        }
    }

    /// Runs one group fsync as the leader: writes what is pending, fsyncs
    /// the active segment, publishes the new durable LSN.
    func leadSync() throws {
        do {
            try writePending()
            let (file, target) = writer.withLock { ($0.file, $0.writtenLSN) }
            if target > durableLSN {
                let started = ContinuousClock.now
                try fsyncing("fsync") { try file.sync() }
                let elapsed = ContinuousClock.now - started
                metrics.fsyncs.increment()
                metrics.fsyncDuration.recordNanoseconds(Int64(elapsed.components.seconds) * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
            }
            let commits = commitCount.load(ordering: .relaxed)
            publishDurable(target)
            let (covered, previousCommits) = progress.withLock { progress in
                progress.syncInFlight = false
                defer { progress.commitsAtLastSync = commits }
                return (progress.takeBlocked(durable: progress.durableLSN, nextLeader: true), progress.commitsAtLastSync)
            }
            for semaphore in covered { semaphore.signal() }
            metrics.commitsPerFsync.record(commits - previousCommits)
            metrics.durableLag.record(Int64(nextLSN.rawValue - 1 - target.rawValue))
        } catch {
            poison(error)
            throw error
        }
    }

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
            enum Outcome { case wait, ready, cancelled, failed(String) }
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

    // MARK: The flusher thread

    /// Starts the thread that serves `async` waiters and, under
    /// `groupSync`, fsyncs every interval.
    func startFlusher() throws {
        let thread = try DedicatedThread.start(name: "wal-flusher") { [self] in runFlusher() }
        flusher.withLock { $0 = thread }
    }

    private enum FlusherWork { case stop, write, sync }

    private func runFlusher() {
        let interval: Duration? = if case .groupSync(let interval) = options.syncMode { max(interval, .milliseconds(1)) } else { nil }
        var nextTick = ContinuousClock.now + (interval ?? .zero)
        while true {
            let timeout = interval.map { _ in max(nextTick - ContinuousClock.now, .zero) }
            let work: FlusherWork = progress.wait(timeout: timeout) { progress, timedOut -> FlusherWork? in
                if progress.stopping { return .stop }
                if progress.syncRequested || timedOut {
                    progress.syncRequested = false
                    progress.writeRequested = false
                    return .sync
                }
                if progress.writeRequested {
                    progress.writeRequested = false
                    return .write
                }
                return nil
            } ?? .sync
            switch work {
            case .stop:
                return
            case .write:
                try? writePending()
            case .sync:
                if let interval, ContinuousClock.now >= nextTick { nextTick = ContinuousClock.now + interval }
                // Errors are latched by poison(); the flusher just keeps serving.
                if poisoned.load(ordering: .acquiring) { continue }
                try? waitDurable(LSN(nextLSN.rawValue - 1))
            }
        }
    }

    /// Stops the flusher thread and waits for it.
    func stopFlusher() {
        progress.withLock { $0.stopping = true }
        progress.broadcast()
        let thread = flusher.withLock { thread in
            defer { thread = nil }
            return thread
        }
        thread?.join()
    }
}
