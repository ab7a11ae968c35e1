extension LogEngine {
    /// Starts the thread that serves `async` waiters and, under
    /// `groupSync`, fsyncs every interval.
    func startFlusher() throws {
        let thread = try DedicatedThread.start(name: "wal-flusher") { [self] in runFlusher() }
        flusher.withLock { $0 = thread }
    }

    private enum FlusherWork { case stop, write, sync, prefault }

    /// The longest period the flusher sleeps between group fsyncs. A longer
    /// `groupSync` interval is clamped to it: adding a huge one (years, or
    /// `.seconds(Int64.max)`) to the clock overflows and traps, and a log
    /// fsynced less than once a day promises no more than `.none`.
    static let longestGroupSyncInterval = Duration.seconds(86_400)

    private func runFlusher() {
        let interval: Duration? =
            if case .groupSync(let interval) = options.syncMode {
                min(max(interval, .milliseconds(1)), Self.longestGroupSyncInterval)
            } else {
                nil
            }
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
                if progress.prefaultRequested {
                    progress.prefaultRequested = false
                    return .prefault
                }
                return nil
            } ?? .sync
            switch work {
            case .stop:
                return
            case .write:
                try? writePending()
            case .prefault:
                prefaultAhead()
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
