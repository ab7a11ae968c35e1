import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The device limit: one thread appending the same bytes with `write` and
/// forcing them with `fdatasync`, with no framing, checksums or locks.
///
/// Durable: one `fdatasync` per write. With `groupSize` N > 1 each write
/// carries N transactions' bytes, the ideal group commit of N writers: no
/// log can make N concurrent durable commits cheaper than one write and
/// one fsync. Relaxed: an `fdatasync` when 50 ms have passed since the last.
final class DeviceCommitter: BlockingCommitter {
    private let descriptor: Int32
    private let bytes: [UInt8]
    private let durability: DurabilityLevel
    private let lastSyncNanos = Atomic<UInt64>(0)
    private let closed = Atomic<Bool>(false)
    private let path: String

    static let relaxedSyncIntervalNanos: UInt64 = 50_000_000

    init(directory: String, durability: DurabilityLevel, payload: TransactionPayload, groupSize: Int) throws {
        try makeDirectory(directory)
        path = "\(directory)/device.log"
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw BenchError.posix("open", path: path) }
        var group: [UInt8] = []
        for _ in 0..<groupSize { group.append(contentsOf: payload.flat) }
        bytes = group
        self.durability = durability
        lastSyncNanos.store(monotonicNanos(), ordering: .relaxed)
    }

    func commit(writer: Int) throws {
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let wrote = write(descriptor, raw.baseAddress.map { $0 + done }, raw.count - done)
                if wrote < 0 {
                    if errno == EINTR { continue }
                    throw BenchError.posix("write", path: path)
                }
                done += wrote
            }
        }
        switch durability {
        case .durable:
            try sync()
        case .relaxed:
            let now = monotonicNanos()
            if now &- lastSyncNanos.load(ordering: .relaxed) >= Self.relaxedSyncIntervalNanos {
                try sync()
                lastSyncNanos.store(now, ordering: .relaxed)
            }
        }
    }

    private func sync() throws {
        while fdatasync(descriptor) != 0 {
            if errno != EINTR { throw BenchError.posix("fdatasync", path: path) }
        }
    }

    func close() throws {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = Glibc.close(descriptor)
    }
}

/// Creates `path` (one level) if it does not exist.
func makeDirectory(_ path: String) throws {
    if mkdir(path, 0o755) != 0, errno != EEXIST {
        throw BenchError.posix("mkdir", path: path)
    }
}
