import Synchronization
import WriteAheadLog

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A simulated machine's disk that remembers what an fsync made durable and
/// can lose the rest in a seeded, reproducible crash.
///
/// Mount it with ``fileSystem()`` and hand that to `WALOptions.fileSystem`.
/// ``crash()`` models a power loss: it keeps what `fdatasync` and directory
/// `fsync` made durable plus a seeded choice of the rest (see
/// `DiskModel.crash`), drops every directory lock, and "reboots": file
/// systems, files and locks from before the crash fail every later call
/// with `EIO`, so a log handle left open cannot write into the new state.
/// Mount again to go on.
///
/// Faults: ``inject(_:)`` plans failures (`EIO`, `ENOSPC`, short writes) at
/// chosen moments, ``injectRandomFaults(_:)`` at random ones, and
/// ``crash(afterOperations:)`` crashes in the middle of whatever runs.
///
/// Thread-safe: one `Mutex` guards the whole model, and every operation is
/// atomic with respect to the others and to a crash.
package final class SimulatedDisk: Sendable {
    package struct Statistics: Sendable, Equatable {
        package var writes = 0
        package var bytesWritten = 0
        package var fileSyncs = 0
        package var directorySyncs = 0
        package var failedOperations = 0
        /// Failed `fdatasync` calls: after one, a crash can leave a hole
        /// (pages whose writeback failed) before later data in the file.
        package var failedFileSyncs = 0
        package var crashes = 0
        /// Simulated kill -9s: handles die, the page cache stays.
        package var kills = 0
        package var mappedStores = 0
        /// Mapped stores a crash or kill interrupted halfway.
        package var interruptedStores = 0
    }

    struct State {
        var model = DiskModel()
        var random: SeededGenerator
        var boot = 0
        /// Directory path (normalised) to the token of the lock holding it.
        var locks: [String: UInt64] = [:]
        var nextLockToken: UInt64 = 1
        var rules: [FaultRule] = []
        var ruleMatches: [Int] = []
        var randomFaults: RandomFaults?
        var crashCountdown: Int?
        var countdownKind = CrashKind.powerLoss
        /// How many pieces of a mapped store a countdown interrupts it
        /// after; nil draws a number from the seed.
        var interruptedStorePieces: Int?
        var statistics = Statistics()
        var lastCrash: DiskModel.CrashSummary?
    }

    let state: Mutex<State>
    package let seed: UInt64
    /// Writes are torn at this granularity: a sector is written whole or not at all.
    package let sectorSize: Int
    package let pageSize: Int
    /// Whether files can be preallocated and mapped, as on ext4 or XFS;
    /// without it the log takes the write-call path, as on a file system
    /// without `fallocate`.
    package let supportsMapping: Bool
    /// A mapped store is carried out in pieces of this many bytes, the last
    /// piece first, as a vectorised `memmove` may: a store interrupted by a
    /// crash or kill leaves the end of its bytes without their start.
    package static let mappedStorePiece = 64
    private let hook: Mutex<(@Sendable (SimulatedOperation, String) -> Void)?> = Mutex(nil)

    package init(seed: UInt64, sectorSize: Int = 512, pageSize: Int = 4096, supportsMapping: Bool = true) {
        self.seed = seed
        self.sectorSize = sectorSize
        self.pageSize = pageSize
        self.supportsMapping = supportsMapping
        state = Mutex(State(random: SeededGenerator(seed: seed)))
    }

    /// A file system on the disk as it is now; it stops working at the next crash.
    package func fileSystem() -> SimulatedFileSystem {
        SimulatedFileSystem(disk: self, boot: state.withLock { $0.boot })
    }

    // MARK: Crashes and faults

    /// Loses power now: keeps the durable state plus a seeded choice of the
    /// rest, drops every lock, and invalidates every mounted file system,
    /// open file and lock.
    @discardableResult
    package func crash() -> String {
        state.withLock { state in Self.crash(&state, sectorSize: sectorSize, pageSize: pageSize) }
    }

    @discardableResult
    private static func crash(_ state: inout State, sectorSize: Int, pageSize: Int) -> String {
        let summary = state.model.crash(using: &state.random, sectorSize: sectorSize, pageSize: pageSize)
        state.boot += 1
        state.locks.removeAll()
        state.crashCountdown = nil
        state.statistics.crashes += 1
        state.lastCrash = summary
        return summary.description
    }

    /// Kills the process now (kill -9): every mounted file system, open
    /// file, mapping and lock of this boot stops working, as if their
    /// process were gone, while the disk keeps everything written, durable
    /// or not, as the kernel's page cache would. A later power loss can
    /// still lose what no fsync covered. Mount again to go on.
    package func kill() {
        state.withLock { Self.kill(&$0) }
    }

    private static func kill(_ state: inout State) {
        state.boot += 1
        state.locks.removeAll()
        state.crashCountdown = nil
        state.statistics.kills += 1
    }

    /// Crashes just before the `count + 1`-th mutating operation (write,
    /// sync, create, rename, remove, truncate, mkdir, preallocation, mapped
    /// store) from now, whichever thread runs it; that operation and
    /// everything after it fails. A mapped store the countdown lands on is
    /// interrupted halfway: `interruptedStorePieces` of its pieces (or a
    /// seeded number), last piece first, reach the page cache.
    package func crash(afterOperations count: Int, kind: CrashKind = .powerLoss, interruptedStorePieces: Int? = nil) {
        state.withLock { state in
            state.crashCountdown = count
            state.countdownKind = kind
            state.interruptedStorePieces = interruptedStorePieces
        }
    }

    /// Kills the process just before the `count + 1`-th mutating operation.
    package func kill(afterOperations count: Int, interruptedStorePieces: Int? = nil) {
        crash(afterOperations: count, kind: .processKill, interruptedStorePieces: interruptedStorePieces)
    }

    /// Fails the machine the way the countdown says.
    private static func fail(_ state: inout State, sectorSize: Int, pageSize: Int) {
        switch state.countdownKind {
        case .powerLoss: crash(&state, sectorSize: sectorSize, pageSize: pageSize)
        case .processKill: kill(&state)
        }
    }

    /// Whether a crash happened since the disk was made (or since `boot`).
    package var boot: Int { state.withLock { $0.boot } }

    /// What the last crash kept and lost.
    package var lastCrashSummary: String? { state.withLock { $0.lastCrash?.description } }

    /// Plans a failure.
    package func inject(_ rule: FaultRule) {
        state.withLock { state in
            state.rules.append(rule)
            state.ruleMatches.append(0)
        }
    }

    /// Makes operations fail at random (drawn from the disk's seed).
    package func injectRandomFaults(_ faults: RandomFaults?) {
        state.withLock { $0.randomFaults = faults }
    }

    /// Removes every planned and random fault.
    package func clearFaults() {
        state.withLock { state in
            state.rules.removeAll()
            state.ruleMatches.removeAll()
            state.randomFaults = nil
        }
    }

    /// Calls `hook` before every mutating operation, outside the disk's
    /// lock, on the calling thread: a test can pause a thread there.
    package func setHook(_ hook: (@Sendable (SimulatedOperation, String) -> Void)?) {
        self.hook.withLock { $0 = hook }
    }

    package var statistics: Statistics { state.withLock { $0.statistics } }

    // MARK: Inspection and damage (for tests)

    /// The bytes a file holds now, or nil if it does not exist.
    package func contents(of path: String) -> [UInt8]? {
        state.withLock { state in
            state.model.lookup(path).flatMap { state.model.files[$0]?.current }
        }
    }

    /// Overwrites a file's bytes, durably, as bit rot or an operator would.
    package func replaceContents(of path: String, with bytes: [UInt8]) {
        state.withLock { state in
            guard let node = state.model.lookup(path), var file = state.model.files[node] else { return }
            file.current = bytes
            file.durable = bytes
            file.pending.removeAll()
            file.reserved = 0
            state.model.files[node] = file
        }
    }

    /// Every file path under `directory` (recursively) with its current bytes.
    package func snapshot(of directory: String) -> [String: [UInt8]] {
        state.withLock { state in
            var result: [String: [UInt8]] = [:]
            guard let start = state.model.lookup(directory) else { return result }
            var queue = [(start, directory)]
            while let (node, path) = queue.popLast() {
                for (name, child) in state.model.entries[node] ?? [:] {
                    let childPath = joinPath(path, name)
                    if let file = state.model.files[child] {
                        result[childPath] = file.current
                    } else if state.model.directories.contains(child) {
                        queue.append((child, childPath))
                    }
                }
            }
            return result
        }
    }

    // MARK: Operation plumbing

    /// Runs a mutating operation: the crash countdown, the hook, planned and
    /// random faults, then `body` under the lock. `body` gets the fault, if
    /// one was drawn, to carry out (a short write stores a prefix first).
    func mutate<R>(
        _ operation: SimulatedOperation, path: String, boot: Int, syscall: String,
        _ body: (inout State, InjectedFault?) throws -> R
    ) throws -> R {
        if let hook = hook.withLock({ $0 }) { hook(operation, path) }
        return try state.withLock { state in
            try Self.checkBoot(state, boot, syscall, path)
            if let countdown = state.crashCountdown {
                if countdown <= 0 {
                    let kind = state.countdownKind
                    Self.fail(&state, sectorSize: sectorSize, pageSize: pageSize)
                    throw Self.error(EIO, syscall, path, kind == .powerLoss ? "the simulated machine crashed" : "the simulated process was killed")
                }
                state.crashCountdown = countdown - 1
            }
            let fault = Self.drawFault(&state, operation, path)
            if fault != nil { state.statistics.failedOperations += 1 }
            return try body(&state, fault)
        }
    }

    /// A store into a mapping of `node`: lands in the page cache at once, as
    /// an unsynced write. It cannot fail; a store from a dead boot (the
    /// process is gone) or past the end of the file (`SIGBUS` in a real
    /// process) stores nothing. When the crash countdown lands on it, the
    /// store is interrupted: some of its pieces, last first, land before
    /// the machine fails.
    func storeMapped(_ data: [UInt8], node: Int, at offset: Int, boot: Int, path: String) {
        if let hook = hook.withLock({ $0 }) { hook(.mappedStore, path) }
        state.withLock { state in
            guard state.boot == boot, let file = state.model.files[node], offset >= 0, offset + data.count <= file.size
            else { return }
            if let countdown = state.crashCountdown {
                if countdown <= 0 {
                    let pieces = stride(from: 0, to: data.count, by: Self.mappedStorePiece).map {
                        $0..<min($0 + Self.mappedStorePiece, data.count)
                    }
                    let landed = min(state.interruptedStorePieces ?? Int(state.random.next() % UInt64(pieces.count + 1)), pieces.count)
                    for piece in pieces.reversed().prefix(landed) {
                        state.model.write(node, Array(data[piece]), at: offset + piece.lowerBound)
                    }
                    state.statistics.interruptedStores += 1
                    Self.fail(&state, sectorSize: sectorSize, pageSize: pageSize)
                    return
                }
                state.crashCountdown = countdown - 1
            }
            state.model.write(node, data, at: offset)
            state.statistics.mappedStores += 1
        }
    }

    /// A read-only operation: fails only on a stale boot.
    func inspect<R>(boot: Int, syscall: String, path: String, _ body: (inout State) throws -> R) throws -> R {
        try state.withLock { state in
            try Self.checkBoot(state, boot, syscall, path)
            return try body(&state)
        }
    }

    private static func checkBoot(_ state: State, _ boot: Int, _ syscall: String, _ path: String) throws {
        guard state.boot == boot else {
            throw error(EIO, syscall, path, "the simulated machine crashed since this handle was opened")
        }
    }

    private static func drawFault(_ state: inout State, _ operation: SimulatedOperation, _ path: String) -> InjectedFault? {
        for index in state.rules.indices {
            let rule = state.rules[index]
            guard rule.operation == operation, rule.pathContains.map({ path.contains($0) }) ?? true else { continue }
            let match = state.ruleMatches[index]
            state.ruleMatches[index] += 1
            guard match >= rule.skip else { continue }
            if let times = rule.times, match >= rule.skip + times { continue }
            return InjectedFault(errno: rule.errno, shortWrite: rule.shortWrite)
        }
        if let faults = state.randomFaults, faults.operations.contains(operation), !faults.errnos.isEmpty,
            state.random.chance(faults.probability)
        {
            let errno = faults.errnos[Int(state.random.next() % UInt64(faults.errnos.count))]
            return InjectedFault(errno: errno, shortWrite: faults.shortWrites && state.random.chance(0.5))
        }
        return nil
    }

    static func error(_ code: Int32, _ syscall: String, _ path: String, _ message: String, offset: UInt64? = nil) -> WALError {
        WALError(.io, message, operation: syscall, path: path, offset: offset, errno: code)
    }

    static func normalise(_ path: String) -> String {
        "/" + DiskModel.components(path).joined(separator: "/")
    }
}
