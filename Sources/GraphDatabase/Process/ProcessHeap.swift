#if canImport(Glibc)
import Glibc
#endif
import CProcessHeap

/// The C library's heap settings for a process that holds a growing graph:
/// an opt-in, process-wide setting that `graph-server` applies at start and
/// an embedding application may apply too.
///
/// glibc gives threads other than the main one heaps of their own (arenas
/// of 64 MiB reservations) and makes such a heap writable as it grows, one
/// `mprotect` call per page it needs. The graph grows by about 190 bytes
/// per node in the committing thread, so a million one-node transactions
/// made about 44,000 of those calls. Each takes the process's address-space
/// lock for writing, which the log's flusher also takes (its page faults on
/// the mapped segment, its unmapping before each fsync), so the two threads
/// wait on each other. With a top pad of a whole heap (64 MiB) glibc makes
/// each new heap writable at once: 44 calls instead. Pages become resident
/// only when written, as before, so resident memory does not grow.
///
/// The cost: glibc stops adapting its mmap threshold once the top pad is
/// set, so every allocation of 128 KiB or more is mapped and unmapped on
/// its own (large arrays: recovery's, a snapshot's buffers).
///
/// An operator's own `glibc.malloc.top_pad` in `GLIBC_TUNABLES` wins: the
/// setting is then left alone.
public enum ProcessHeap {
    /// What ``growInLargeSteps(tunables:)`` did.
    public enum Outcome: Sendable, Equatable, CustomStringConvertible {
        /// glibc grows heaps by ``topPad`` bytes ahead.
        case applied
        /// `GLIBC_TUNABLES` sets `glibc.malloc.top_pad`; that value stands.
        case leftToEnvironment
        /// Not glibc, or glibc refused the setting.
        case unsupported

        public var description: String {
            switch self {
            case .applied: "glibc heaps grow \(ProcessHeap.topPad >> 20) MiB at a time"
            case .leftToEnvironment: "glibc heap growth left to GLIBC_TUNABLES"
            case .unsupported: "glibc heap growth unchanged (not glibc, or the setting was refused)"
            }
        }
    }

    /// One arena heap: glibc's largest on 64-bit systems.
    public static let topPad = 64 << 20

    /// Sets glibc's top pad to ``topPad`` unless `tunables` (the value of
    /// `GLIBC_TUNABLES`, read from the environment by default) names
    /// `glibc.malloc.top_pad`. Call it once, early, before the threads
    /// that build the graph start. Calling it again is harmless.
    @discardableResult
    public static func growInLargeSteps(tunables: String? = environmentTunables()) -> Outcome {
        if let tunables, namesTopPad(tunables) { return .leftToEnvironment }
        return cprocess_heap_set_top_pad(topPad) == 1 ? .applied : .unsupported
    }

    /// Whether a `GLIBC_TUNABLES` value (`name=value` pairs separated by
    /// colons) sets the top pad.
    static func namesTopPad(_ tunables: String) -> Bool {
        tunables.split(separator: ":").contains { pair in
            pair.split(separator: "=", maxSplits: 1).first == "glibc.malloc.top_pad"
        }
    }

    /// `GLIBC_TUNABLES` from the process's environment.
    public static func environmentTunables() -> String? {
        #if canImport(Glibc)
        guard let value = getenv("GLIBC_TUNABLES") else { return nil }
        return String(cString: value)
        #else
        return nil
        #endif
    }
}
