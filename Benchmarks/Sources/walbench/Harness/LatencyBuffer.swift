/// Per-commit latencies of one writer, in nanoseconds.
///
/// Allocated and touched before a workload starts, so that recording a
/// sample neither allocates nor shows up in the workload's peak RSS; it
/// grows (doubling) only if a writer outruns the estimate.
///
/// `@unchecked Sendable` because the storage is a raw buffer: each buffer
/// is written by exactly one writer (thread or task) and read by the
/// harness only after that writer has been joined (`pthread_join`, or the
/// task group's `next()`), which orders the writes before the reads.
final class LatencyBuffer: @unchecked Sendable {
    private var storage: UnsafeMutableBufferPointer<UInt64>
    private(set) var count = 0

    init(capacity: Int) {
        storage = .allocate(capacity: max(capacity, 16))
        storage.initialize(repeating: 0)
    }

    deinit {
        storage.deallocate()
    }

    @inline(__always)
    func record(_ nanos: UInt64) {
        if count == storage.count { grow() }
        storage[count] = nanos
        count += 1
    }

    private func grow() {
        let bigger = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: storage.count * 2)
        bigger.initialize(repeating: 0)
        for index in 0..<count { bigger[index] = storage[index] }
        storage.deallocate()
        storage = bigger
    }

    /// The recorded samples, copied out.
    var samples: [UInt64] { Array(storage[0..<count]) }
}
