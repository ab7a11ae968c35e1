/// The group-commit state machine: who leads the next fsync, who sleeps
/// on which generation, and what ends one. It does no I/O and holds no
/// lock; the engine keeps it in ``Progress`` and runs its decisions under
/// the progress lock.
///
/// A generation is one group fsync. Its leader writes every pending byte
/// and fsyncs the active segment; the threads it covers sleep on its
/// signal; threads that came too late for it register for the next
/// generation. When it ends, one call wakes all it covered; if anyone
/// registered for the next, the ending leader begins that generation and
/// hands it to one of them. Those still waiting are not woken, so they do
/// not wake only to sleep again.
struct GroupCommit {
    /// What a thread waiting for an LSN does next.
    enum Step: Equatable {
        /// An fsync already covers the LSN.
        case done
        /// Run the current generation's fsync.
        case lead
        /// Sleep on this generation's signal.
        case sleep(generation: UInt64)
        /// The log is poisoned.
        case failed
    }

    private(set) var inFlight = false
    private(set) var generation: UInt64 = 0
    /// What the in-flight fsync covers, once its leader has written.
    var target: LSN?
    /// Threads registered for generation `generation + 1`.
    private(set) var waitingForNext = 0
    /// Set when a leader ended with threads registered for the next
    /// generation and began it for them: the first of them to see this
    /// leads it.
    private var handoffPending = false

    /// Decides what a thread waiting for `lsn` does next. `registeredFor`
    /// is the generation it registered for when it last slept, if it did.
    mutating func nextStep(toward lsn: LSN, registeredFor: inout UInt64?, durableLSN: LSN, poisoned: Bool) -> Step {
        if let registered = registeredFor {
            registeredFor = nil
            if registered == generation + 1 {
                // Woke before its generation began: register again below.
                waitingForNext -= 1
            } else if registered == generation, inFlight {
                if handoffPending {
                    handoffPending = false
                    return .lead
                }
                // Registered before this generation's leader wrote, so the
                // fsync in flight covers it.
                return .sleep(generation: registered)
            }
        }
        if poisoned { return .failed }
        if durableLSN >= lsn { return .done }
        guard inFlight else {
            begin()
            return .lead
        }
        // Until the leader has written, what it will cover is unknown; it
        // will write everything appended before it does, which takes in
        // this caller unless the leader is writing right now. Guessing
        // "covered" costs one extra wake-up when wrong; guessing "next"
        // when covered would cost a whole empty generation.
        if target.map({ $0 >= lsn }) ?? true {
            return .sleep(generation: generation)
        }
        waitingForNext += 1
        registeredFor = generation + 1
        return .sleep(generation: generation + 1)
    }

    /// Ends the current generation. Returns the generation that ended and
    /// whether the next one was begun for threads registered for it (never
    /// once the log is poisoned): the first of them to look leads it.
    mutating func end(poisoned: Bool) -> (ended: UInt64, handedOff: Bool) {
        let ended = generation
        let handedOff = waitingForNext > 0 && !poisoned
        if handedOff {
            begin()
            handoffPending = true
        } else {
            inFlight = false
            target = nil
        }
        return (ended, handedOff)
    }

    /// On poisoning: a generation handed off but not yet taken has no
    /// leader to end it, so it ends here.
    mutating func abandonHandoff() {
        guard handoffPending else { return }
        handoffPending = false
        inFlight = false
    }

    /// Starts a generation; its leader has yet to write.
    private mutating func begin() {
        inFlight = true
        generation += 1
        target = nil
        waitingForNext = 0
        handoffPending = false
    }
}
