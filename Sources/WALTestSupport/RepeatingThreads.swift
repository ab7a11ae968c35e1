import Dispatch
import Foundation
import Synchronization

/// Threads of their own that run `body` over and over until stopped: the
/// readers of a test that checks what they see while it writes.
///
/// Threads rather than dispatch work: a pool busy with other tests could
/// run the readers only after the writer is done, proving nothing.
package final class RepeatingThreads: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let running = DispatchGroup()

    package init(count: Int, _ body: @escaping @Sendable () -> Void) {
        for _ in 0..<count {
            running.enter()
            Thread { [self] in
                defer { running.leave() }
                while !stopped.load(ordering: .acquiring) { body() }
            }.start()
        }
    }

    /// Stops the threads after their current turn and waits for them.
    package func stop() {
        stopped.store(true, ordering: .releasing)
        running.wait()
    }
}
