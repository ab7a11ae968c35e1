import Synchronization

/// Bytes of request bodies being decoded at once, across all requests.
///
/// Decoding builds a tree several times the size of the body (up to about
/// 13 bytes per body byte for hostile shapes), so many maximal bodies
/// decoded at once could take far more memory than their bytes. Requests
/// reserve their body's size once it has been read, and wait while the
/// budget is spent. Only decoding waits, never reading: a slow client holds
/// no reservation, so it cannot block others with it.
final class DecodingBudget: Sendable {
    private struct Waiter {
        var id: UInt64
        var bytes: Int
        var continuation: CheckedContinuation<Void, any Error>
    }

    /// Guards the bytes left and the requests waiting for them, in arrival order.
    private struct State {
        var available: Int
        var waiters: [Waiter] = []
        var cancelled: Set<UInt64> = []
        var nextID: UInt64 = 0
    }

    /// The whole budget; one reservation never asks for more.
    let capacity: Int
    private let state: Mutex<State>

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        state = Mutex(State(available: max(1, capacity)))
    }

    /// How many reservations are waiting (for tests and diagnostics).
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Runs `body` holding `bytes` of the budget (at most the capacity),
    /// first waiting, in arrival order, until that much is free.
    func withReservation<T>(_ bytes: Int, _ body: () async throws -> T) async throws -> T {
        let amount = min(max(bytes, 0), capacity)
        guard amount > 0 else { return try await body() }
        try await reserve(amount)
        defer { release(amount) }
        return try await body()
    }

    private func reserve(_ amount: Int) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Outcome { case granted, cancelled, waiting }
                let outcome = state.withLock { state -> Outcome in
                    if state.cancelled.remove(id) != nil { return .cancelled }
                    if state.waiters.isEmpty && state.available >= amount {
                        state.available -= amount
                        return .granted
                    }
                    state.waiters.append(Waiter(id: id, bytes: amount, continuation: continuation))
                    return .waiting
                }
                switch outcome {
                case .granted: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .waiting: break
                }
            }
        } onCancel: {
            let (cancelled, ready) = state.withLock { state -> (Waiter?, [Waiter]) in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else {
                    // Not waiting yet (or granted already): leave a note for reserve.
                    state.cancelled.insert(id)
                    return (nil, [])
                }
                let cancelled = state.waiters.remove(at: index)
                // The ones behind it may fit now.
                return (cancelled, Self.grant(&state))
            }
            cancelled?.continuation.resume(throwing: CancellationError())
            for waiter in ready { waiter.continuation.resume() }
        }
        // A grant that raced with cancellation leaves a stale note; drop it.
        _ = state.withLock { $0.cancelled.remove(id) }
    }

    private func release(_ amount: Int) {
        let ready = state.withLock { state -> [Waiter] in
            state.available += amount
            return Self.grant(&state)
        }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// Takes the waiters at the front that fit, in order, out of `state`.
    private static func grant(_ state: inout State) -> [Waiter] {
        var ready: [Waiter] = []
        while let first = state.waiters.first, first.bytes <= state.available {
            state.available -= first.bytes
            ready.append(state.waiters.removeFirst())
        }
        return ready
    }
}
