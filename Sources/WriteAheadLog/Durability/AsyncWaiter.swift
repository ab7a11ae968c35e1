/// An `async` caller waiting for an LSN to be written or durable.
struct AsyncWaiter {
    var lsn: LSN
    var durable: Bool
    var continuation: CheckedContinuation<Void, any Error>
}

enum WaiterSlot {
    case reserved
    case registered(AsyncWaiter)
    case cancelled
}
