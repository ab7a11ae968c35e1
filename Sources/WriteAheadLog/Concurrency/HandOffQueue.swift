/// The hand-over between a producer thread and the thread that consumes
/// what it makes: a bounded queue of batches, spare batches going back for
/// reuse, and the producer's outcome once it is done.
///
/// The consumer takes batches in the order they were handed over and sees
/// the outcome only after the last of them, so an error the producer met
/// comes out after everything it made before it, as it would on one thread.
package final class HandOffQueue<Batch: Sendable, Outcome: Sendable>: Sendable {
    private struct State {
        var ready: [Batch] = []
        var spare: [Batch] = []
        var outcome: Outcome?
        var stopped = false
    }

    private let depth: Int
    private let state = ConditionLock(State())

    /// A queue that holds at most `depth` batches waiting.
    package init(depth: Int) { self.depth = max(depth, 1) }

    /// Producer: a batch given back by the consumer, if there is one.
    package func spare() -> Batch? {
        state.withLock { $0.spare.popLast() }
    }

    /// Producer: queues `batch`, waiting while the queue is full. False,
    /// with nothing queued, once the consumer has stopped.
    package func hand(_ batch: consuming Batch) -> Bool {
        var batch = Optional(batch)
        let accepted = state.wait(timeout: nil) { state, _ -> Bool? in
            if state.stopped { return false }
            guard state.ready.count < depth, let taken = batch.take() else { return nil }
            state.ready.append(taken)
            return true
        }
        state.broadcast()
        return accepted == true
    }

    /// Producer: queues the last batch, if any, and the outcome.
    package func finish(last batch: consuming Batch?, _ outcome: Outcome) {
        var batch = batch
        state.withLock { state in
            if let last = batch.take() { state.ready.append(last) }
            state.outcome = outcome
        }
        state.broadcast()
    }

    /// Consumer: the next batch, waiting for the producer; nil once the
    /// producer has finished and every batch was taken.
    package func next() -> Batch? {
        let batch = state.wait(timeout: nil) { state, _ -> Batch?? in
            if !state.ready.isEmpty { return .some(state.ready.removeFirst()) }
            return state.outcome == nil ? nil : .some(nil)
        }
        state.broadcast()
        return batch ?? nil
    }

    /// Consumer: gives a batch back for the producer to refill.
    package func recycle(_ batch: consuming Batch) {
        let batch = batch
        state.withLock { $0.spare.append(batch) }
    }

    /// Consumer: stops the producer at its next hand-over.
    package func stop() {
        state.withLock { $0.stopped = true }
        state.broadcast()
    }

    /// The producer's outcome, once it has finished (join it first).
    package var outcome: Outcome? {
        state.withLock { $0.outcome }
    }
}
