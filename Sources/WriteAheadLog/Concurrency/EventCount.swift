import CEventCount

/// Threads waiting for a change, woken together by one call.
///
/// Group commit parks the threads waiting for an fsync here. Waking them one
/// by one (a semaphore each) put dozens of system calls in a row on the
/// thread that ran the fsync, during which no new fsync began; here one
/// futex call wakes them all.
///
/// Use: take a ticket, check the condition, wait with the ticket only if it
/// does not hold. A notification after the ticket was taken is never lost:
/// the wait returns at once.
///
/// `@unchecked Sendable` is sound: the C object is only used through its own
/// thread-safe functions and lives at a stable address for this object's life.
final class EventCount: @unchecked Sendable {
    private let count: OpaquePointer

    init() throws {
        guard let count = cevent_count_create() else {
            throw WALError(.io, "could not create the event count that committers wait on", operation: "open")
        }
        self.count = count
    }

    deinit { cevent_count_destroy(count) }

    func prepareWait() -> UInt32 { cevent_count_prepare_wait(count) }

    /// Blocks until a notification after `ticket`; may return spuriously.
    func wait(_ ticket: UInt32) { cevent_count_wait(count, ticket) }

    func notifyAll() { cevent_count_notify_all(count) }

    /// Wakes one waiting thread (and lets ticket holders not yet asleep return).
    func notifyOne() { cevent_count_notify_one(count) }
}
