#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The operations of the simulated file system that can fail or be watched.
package enum SimulatedOperation: String, Sendable, CaseIterable {
    /// `pwrite` to a file.
    case write
    /// `fdatasync` of a file.
    case fileSync
    /// `fsync` of a directory.
    case directorySync
    /// Creating a file (`open` with `O_CREAT | O_EXCL`).
    case create
    /// `mkdir`.
    case makeDirectory
    case rename
    case remove
    /// `ftruncate`.
    case truncate
    /// `fallocate`: reserving blocks, which extends the file with zeros.
    case preallocate
    /// A store into a shared mapping: no system call, so it never fails,
    /// but a crash or kill can interrupt it halfway.
    case mappedStore
}

/// How a simulated machine fails.
package enum CrashKind: String, Sendable, CaseIterable {
    /// The machine loses power: only what an fsync made durable is certain
    /// to survive, plus a seeded choice of the rest.
    case powerLoss
    /// The process dies (kill -9): the kernel keeps every byte written and
    /// every directory change, durable or not, in its page cache.
    case processKill
}

/// One planned failure: the `skip + 1`-th matching operation (and, with
/// `times`, the ones after it) fails with `errno`.
package struct FaultRule: Sendable {
    package var operation: SimulatedOperation
    /// Only operations on a path containing this string match; nil matches any path.
    package var pathContains: String?
    /// Matching operations that pass before the first failure.
    package var skip: Int
    /// How many matching operations fail, nil for all of them from then on
    /// (a full disk stays full).
    package var times: Int?
    package var errno: Int32
    /// For writes: store a prefix of the bytes (whole pages) before failing,
    /// as a short `pwrite` followed by a failing retry would.
    package var shortWrite: Bool

    package init(
        _ operation: SimulatedOperation, errno: Int32, pathContains: String? = nil, skip: Int = 0, times: Int? = 1,
        shortWrite: Bool = false
    ) {
        self.operation = operation
        self.errno = errno
        self.pathContains = pathContains
        self.skip = skip
        self.times = times
        self.shortWrite = shortWrite
    }

    /// The next `fdatasync` (of a path containing `path`, if given) fails with `EIO`.
    package static func fsyncFails(pathContains path: String? = nil, skip: Int = 0) -> FaultRule {
        FaultRule(.fileSync, errno: EIO, pathContains: path, skip: skip)
    }

    /// From the `skip + 1`-th write on, every write fails with `ENOSPC`.
    package static func diskFull(skip: Int = 0, shortWrite: Bool = false) -> FaultRule {
        FaultRule(.write, errno: ENOSPC, skip: skip, times: nil, shortWrite: shortWrite)
    }
}

/// Failures drawn at random: each operation listed fails with probability
/// `probability`, with one of `errnos`.
package struct RandomFaults: Sendable {
    package var probability: Double
    package var operations: Set<SimulatedOperation>
    package var errnos: [Int32]
    /// Whether a failing write may store a prefix of its bytes first.
    package var shortWrites: Bool

    package init(
        probability: Double, operations: Set<SimulatedOperation> = [.write, .fileSync],
        errnos: [Int32] = [EIO, ENOSPC], shortWrites: Bool = true
    ) {
        self.probability = probability
        self.operations = operations
        self.errnos = errnos
        self.shortWrites = shortWrites
    }
}

/// What the fault machinery decided for one operation.
struct InjectedFault {
    var errno: Int32
    var shortWrite: Bool
}
