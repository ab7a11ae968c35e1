import Synchronization
import WALTestSupport
import WriteAheadLog

/// What the test knows about every transaction it tried, and what the log
/// acknowledged: the oracle recovery is checked against.
final class Ledger: Sendable {
    struct Expected {
        var events: [CrashEvent]
        var intent: CrashEvent.Intent
        var beginLSN: LSN?
        /// Known once `commit` or `commit(transaction:)` returned.
        var commitLSN: LSN?
        /// An fsync covered it before the call returned (`always`, `.durable`),
        /// or it survived an earlier recovery.
        var durable = false
    }

    struct State {
        var expected: [CrashEvent.Key: Expected] = [:]
        /// The highest `durableLSN` (or `sync()` result) the test saw.
        var observedDurable = LSN.none
        /// Primitive transactions: begin LSN to end LSN (nil while open). A
        /// truncation fence never falls inside one.
        var spans: [LSN: LSN?] = [:]
        /// Records at or below this were truncated or may be: reopen uses it as the fence.
        var fence = LSN.none
        var nextSequence: [UInt16: UInt32] = [:]
    }

    let state = Mutex(State())

    func nextSequence(for writer: UInt16) -> UInt32 {
        state.withLock { state in
            defer { state.nextSequence[writer, default: 0] += 1 }
            return state.nextSequence[writer, default: 0]
        }
    }

    func register(_ events: [CrashEvent], intent: CrashEvent.Intent, begin: LSN? = nil) {
        guard let key = events.first?.key else { return }
        state.withLock { $0.expected[key] = Expected(events: events, intent: intent, beginLSN: begin) }
    }

    func acknowledge(_ key: CrashEvent.Key, begin: LSN, commit: LSN, durable: Bool) {
        state.withLock { state in
            state.expected[key]?.beginLSN = begin
            state.expected[key]?.commitLSN = commit
            if durable { state.expected[key]?.durable = true }
        }
    }

    func observeDurable(_ lsn: LSN) {
        state.withLock { $0.observedDurable = max($0.observedDurable, lsn) }
    }

    var fence: LSN { state.withLock { $0.fence } }

    // MARK: Checking a recovery

    /// Every way `recovered` breaks the contract, in words. After a kill
    /// (and nothing worse) every acknowledged commit must be back, durable
    /// or not: the kernel kept every byte written.
    func problems(recovered: [CommittedTransaction<CrashEvent>], afterKill: Bool = false) -> [String] {
        state.withLock { state in
            var problems: [String] = []
            var seen: Set<CrashEvent.Key> = []
            var lastCommit = LSN.none
            for transaction in recovered {
                guard let key = transaction.events.first?.key else {
                    problems.append("transaction \(transaction.commitLSN) was recovered with no events")
                    continue
                }
                if transaction.events.contains(where: { $0.key != key }) {
                    problems.append("transaction \(transaction.commitLSN) mixes events of several transactions: \(transaction.events)")
                }
                if transaction.commitLSN <= lastCommit {
                    problems.append("transaction \(key) at \(transaction.commitLSN) is out of commit order (after \(lastCommit))")
                }
                lastCommit = max(lastCommit, transaction.commitLSN)
                if transaction.commitLSN <= state.fence {
                    problems.append("transaction \(key) at \(transaction.commitLSN) is at or below the fence \(state.fence)")
                }
                if !seen.insert(key).inserted {
                    problems.append("transaction \(key) was recovered twice")
                }
                guard let expected = state.expected[key] else {
                    problems.append("transaction \(key) at \(transaction.commitLSN) was never committed, or was lost by an earlier crash")
                    continue
                }
                if expected.intent != .commit {
                    problems.append("transaction \(key) was meant to \(expected.intent) but recovery returned it as committed")
                }
                if transaction.events != expected.events {
                    problems.append("transaction \(key) came back with events \(transaction.events), not \(expected.events)")
                }
                if let commit = expected.commitLSN, commit != transaction.commitLSN {
                    problems.append("transaction \(key) committed at \(commit) but was recovered at \(transaction.commitLSN)")
                }
                if let begin = expected.beginLSN, begin != transaction.beginLSN {
                    problems.append("transaction \(key) began at \(begin) but was recovered as beginning at \(transaction.beginLSN)")
                }
            }
            for (key, expected) in state.expected.sorted(by: { $0.key < $1.key })
            where expected.intent == .commit && !seen.contains(key) {
                guard let commit = expected.commitLSN, commit > state.fence else { continue }
                if afterKill {
                    problems.append("acknowledged commit \(key) at \(commit) is lost after a kill, which keeps every written byte")
                } else if expected.durable || commit <= state.observedDurable {
                    problems.append(
                        "acknowledged durable commit \(key) at \(commit) is lost (observed durable LSN \(state.observedDurable))")
                } else if commit < lastCommit {
                    problems.append("commit \(key) at \(commit) is lost while the later commit at \(lastCommit) survived: not a prefix")
                }
            }
            return problems
        }
    }

    /// After a checked recovery: what came back is durable now (recovery
    /// reads it from disk and fsyncs what it cut), and what did not come
    /// back is gone for good, so it must never reappear.
    func settle(recovered: [CommittedTransaction<CrashEvent>]) {
        let keys = Set(recovered.compactMap { $0.events.first?.key })
        state.withLock { state in
            for key in Array(state.expected.keys) {
                if keys.contains(key) {
                    state.expected[key]?.durable = true
                } else if let commit = state.expected[key]?.commitLSN, commit <= state.fence, state.expected[key]?.intent == .commit {
                    continue  // below the fence: replay skips it by design
                } else {
                    state.expected[key] = nil
                }
            }
            state.spans.removeAll()
        }
    }
}
