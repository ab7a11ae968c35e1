import Testing

@testable import GraphServerCore

@Suite("Decoding budget")
struct DecodingBudgetTests {
    /// A reservation held until `release` is signalled; returns once it is held.
    static func hold(_ budget: DecodingBudget, _ bytes: Int) async -> (task: Task<Void, any Error>, release: AsyncStream<Void>.Continuation) {
        let (entered, enteredContinuation) = AsyncStream.makeStream(of: Void.self)
        let (gate, release) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            try await budget.withReservation(bytes) {
                enteredContinuation.yield()
                for await _ in gate { break }
            }
        }
        for await _ in entered { break }
        return (task, release)
    }

    static func waitUntil(_ budget: DecodingBudget, waiting count: Int) async {
        while budget.waiting != count { await Task.yield() }
    }

    @Test("decoding waits while the budget is spent, and goes on in arrival order once it is released")
    func waits() async throws {
        let budget = DecodingBudget(capacity: 10)
        let held = await Self.hold(budget, 10)
        let first = Task { try await budget.withReservation(6) { "first" } }
        await Self.waitUntil(budget, waiting: 1)
        let second = Task { try await budget.withReservation(4) { "second" } }
        await Self.waitUntil(budget, waiting: 2)
        held.release.yield()
        try await held.task.value
        #expect(try await first.value == "first")
        #expect(try await second.value == "second")
        #expect(budget.waiting == 0)
        // Nothing is left reserved: the whole budget can be taken again.
        #expect(try await budget.withReservation(10) { true })
    }

    @Test("an empty body and a body larger than the budget never wait for nothing")
    func bounds() async throws {
        let budget = DecodingBudget(capacity: 10)
        let held = await Self.hold(budget, 10)
        #expect(try await budget.withReservation(0) { true })
        held.release.yield()
        try await held.task.value
        #expect(try await budget.withReservation(1_000) { true })
    }

    @Test("a cancelled wait gives up its place, and those behind it that fit go on")
    func cancellation() async throws {
        let budget = DecodingBudget(capacity: 10)
        let held = await Self.hold(budget, 8)
        let big = Task { try await budget.withReservation(10) { "big" } }
        await Self.waitUntil(budget, waiting: 1)
        let small = Task { try await budget.withReservation(2) { "small" } }
        await Self.waitUntil(budget, waiting: 2)
        big.cancel()
        await #expect(throws: CancellationError.self) { try await big.value }
        #expect(try await small.value == "small")
        held.release.yield()
        try await held.task.value
        #expect(try await budget.withReservation(10) { true })
    }
}
