import Testing

@testable import WriteAheadLog

/// The group-commit state machine alone, without threads or I/O.
@Suite("Group commit decisions")
struct GroupCommitStateTests {
    @Test("the first waiter leads; those the leader will cover sleep on its generation")
    func firstLeadsOthersSleep() {
        var group = GroupCommit()
        var first: UInt64?
        #expect(group.nextStep(toward: LSN(3), registeredFor: &first, durableLSN: .none, poisoned: false) == .lead)
        #expect(group.inFlight)
        var second: UInt64?
        // Before the leader has written, a waiter counts as covered.
        #expect(group.nextStep(toward: LSN(6), registeredFor: &second, durableLSN: .none, poisoned: false) == .sleep(generation: 1))
        #expect(second == nil)
    }

    @Test("a waiter the in-flight fsync does not cover registers for the next generation, which is handed to it")
    func lateWaiterIsHandedTheNextGeneration() {
        var group = GroupCommit()
        var leader: UInt64?
        _ = group.nextStep(toward: LSN(3), registeredFor: &leader, durableLSN: .none, poisoned: false)
        group.target = LSN(3)
        var late: UInt64?
        #expect(group.nextStep(toward: LSN(6), registeredFor: &late, durableLSN: .none, poisoned: false) == .sleep(generation: 2))
        #expect(late == 2)
        #expect(group.waitingForNext == 1)

        let (ended, handedOff) = group.end(poisoned: false)
        #expect(ended == 1)
        #expect(handedOff)
        #expect(group.generation == 2)
        // The registered thread wakes and takes the generation begun for it.
        #expect(group.nextStep(toward: LSN(6), registeredFor: &late, durableLSN: LSN(3), poisoned: false) == .lead)
        #expect(late == nil)
    }

    @Test("an fsync that covered the LSN ends the wait; a poisoned log fails it; nothing is handed off once poisoned")
    func doneAndPoisoned() {
        var group = GroupCommit()
        var waiter: UInt64?
        #expect(group.nextStep(toward: LSN(3), registeredFor: &waiter, durableLSN: LSN(3), poisoned: false) == .done)
        #expect(!group.inFlight)
        #expect(group.nextStep(toward: LSN(4), registeredFor: &waiter, durableLSN: LSN(3), poisoned: true) == .failed)

        _ = group.nextStep(toward: LSN(4), registeredFor: &waiter, durableLSN: LSN(3), poisoned: false)
        group.target = LSN(4)
        var late: UInt64?
        _ = group.nextStep(toward: LSN(9), registeredFor: &late, durableLSN: LSN(3), poisoned: false)
        let (_, handedOff) = group.end(poisoned: true)
        #expect(!handedOff)
        #expect(!group.inFlight)
    }
}
