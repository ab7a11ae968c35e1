import Testing
import WALTestSupport
import WriteAheadLog

#if canImport(Glibc)
import Glibc
#endif

/// Failed writes and fsyncs at chosen moments: the log must latch the
/// failure, say what happened, never claim durability it does not have, and
/// lose nothing it acknowledged.
@Suite("Fault injection")
struct FaultInjectionTests {
    static let directory = "/wal"

    static func options(_ disk: SimulatedDisk, _ mode: SyncMode, segmentTargetBytes: UInt64 = 64 << 20) -> WALOptions {
        var options = WALOptions(syncMode: mode, segmentTargetBytes: segmentTargetBytes)
        options.fileSystem = disk.fileSystem()
        return options
    }

    static func transaction(_ sequence: UInt32, count: Int = 2) -> [CrashEvent] {
        CrashEvent.transaction(writer: 0, sequence: sequence, count: count)
    }

    /// Crashes the disk, clears its faults (the operator freed space,
    /// replaced the disk), reopens and returns what recovery handed back.
    static func crashAndReopen(_ disk: SimulatedDisk, abandoning wal: WAL<CrashEvent>) throws -> (WAL<CrashEvent>, [CrashEvent]) {
        disk.crash()
        try? wal.close()
        disk.clearFaults()
        let (reopened, events, _) = try WAL<CrashEvent>.open(directory: directory, options: options(disk, .always))
        return (reopened, events)
    }

    static let modes: [SyncMode] = [.always, .groupSync(interval: .seconds(3600)), .none]

    @Test("a failed fsync poisons the log; nothing it covered is reported durable and no fsync is retried", arguments: modes)
    func failedFsyncPoisons(mode: SyncMode) throws {
        let disk = SimulatedDisk(seed: 11)
        try onThread {
            let (wal, _, _) = try WAL<CrashEvent>.open(directory: Self.directory, options: Self.options(disk, mode))
            let acknowledged = try #require(try wal.commit(Self.transaction(0), durability: .durable))
            let durableBefore = wal.durableLSN
            #expect(durableBefore >= acknowledged.commitLSN)

            disk.inject(.fsyncFails())
            if mode == .always {
                let error = #expect(throws: WALError.self) { try wal.commit(Self.transaction(1)) }
                #expect(error?.errno == EIO)
            } else {
                _ = try wal.commit(Self.transaction(1))
                let error = #expect(throws: WALError.self) { try wal.sync() }
                #expect(error?.errno == EIO)
            }
            let attempts = disk.statistics.fileSyncs + disk.statistics.failedFileSyncs

            // Latched: every later call fails with `poisoned`, naming the cause.
            let failure = try #require(wal.failure)
            #expect(failure.operation == "fdatasync")
            #expect(failure.errno == EIO)
            #expect(failure.description.contains("Input/output error"))
            #expect(try wal.status().failure == failure)
            for call in [{ _ = try wal.sync() }, { try wal.flush() }, { _ = try wal.commit(Self.transaction(2)) }] {
                let error = #expect(throws: WALError.self, performing: call)
                #expect(error?.code == .poisoned)
                #expect(error?.description.contains("Input/output error") == true)
            }
            #expect(throws: WALError.self) { try wal.waitUntilDurable(LSN(wal.nextLSN.rawValue - 1)) }
            #expect(wal.durableLSN == durableBefore)
            try? wal.close()
            // No fsync ran after the failure: not by sync, commit, the flusher, or close.
            #expect(disk.statistics.fileSyncs + disk.statistics.failedFileSyncs == attempts)
            #expect(wal.durableLSN == durableBefore)

            let (reopened, events) = try Self.crashAndReopen(disk, abandoning: wal)
            defer { try? reopened.close() }
            #expect(Array(events.prefix(2)) == Self.transaction(0))
            #expect(!events.contains(where: { $0.sequence == 2 }))
        }
    }

    @Test("an async waiter learns of a failed fsync as poisoned")
    func asyncWaiterSeesPoison() async throws {
        let disk = SimulatedDisk(seed: 12)
        let wal = try onThread {
            try WAL<CrashEvent>.open(directory: Self.directory, options: Self.options(disk, .none)).wal
        }
        let commit = try #require(try await wal.commit(Self.transaction(0)))
        disk.inject(.fsyncFails())
        await #expect(throws: WALError.self) { try await wal.waitUntilDurable(commit.commitLSN) }
        #expect(wal.failure != nil)
        #expect(wal.durableLSN < commit.commitLSN)
        try? await Task.detached { try wal.close() }.value
    }

    @Test("ENOSPC on a write poisons with a clear error and loses nothing acknowledged", arguments: [false, true])
    func diskFullOnWrite(shortWrite: Bool) throws {
        let disk = SimulatedDisk(seed: shortWrite ? 21 : 22)
        try onThread {
            let (wal, _, _) = try WAL<CrashEvent>.open(directory: Self.directory, options: Self.options(disk, .always))
            var acknowledged: [CrashEvent] = []
            for sequence in UInt32(0)..<5 {
                let events = Self.transaction(sequence, count: 3)
                _ = try wal.commit(events)
                acknowledged += events
            }
            disk.inject(.diskFull(shortWrite: shortWrite))
            // A big transaction, so a short write can store some pages of it.
            let error = #expect(throws: WALError.self) { try wal.commit(Self.transaction(5, count: 60)) }
            #expect(error?.code == .io)
            #expect(error?.errno == ENOSPC)
            #expect(error?.description.contains("No space left on device") == true)
            let poisoned = #expect(throws: WALError.self) { try wal.commit(Self.transaction(6)) }
            #expect(poisoned?.code == .poisoned)
            #expect(wal.failure?.errno == ENOSPC)

            let (reopened, events) = try Self.crashAndReopen(disk, abandoning: wal)
            #expect(events == acknowledged)
            // And it goes on.
            _ = try reopened.commit(Self.transaction(7))
            try reopened.close()
            let (again, replayed, _) = try WAL<CrashEvent>.open(directory: Self.directory, options: Self.options(disk, .always))
            defer { try? again.close() }
            #expect(replayed == acknowledged + Self.transaction(7))
        }
    }

    /// The steps of a rotation, each failing in turn.
    enum RotationFault: String, CaseIterable, Sendable {
        case sealDataFsync, sealHeaderWrite, sealHeaderFsync, createNext, nextHeaderWrite, nextHeaderFsync, renameNext, directoryFsync

        var rule: FaultRule {
            switch self {
            // Sealing: fsync the data, write the sealed header, fsync it.
            case .sealDataFsync: FaultRule(.fileSync, errno: EIO, pathContains: "0000000001.wal")
            case .sealHeaderWrite: FaultRule(.write, errno: ENOSPC, pathContains: "0000000001.wal")
            case .sealHeaderFsync: FaultRule(.fileSync, errno: EIO, pathContains: "0000000001.wal", skip: 1)
            case .createNext: FaultRule(.create, errno: ENOSPC, pathContains: "0000000002.wal")
            case .nextHeaderWrite: FaultRule(.write, errno: ENOSPC, pathContains: "0000000002.wal")
            case .nextHeaderFsync: FaultRule(.fileSync, errno: EIO, pathContains: "0000000002.wal")
            case .renameNext: FaultRule(.rename, errno: ENOSPC, pathContains: "0000000002.wal")
            case .directoryFsync: FaultRule(.directorySync, errno: EIO)
            }
        }
    }

    @Test("a failure while rotating poisons with a clear error, and reopening keeps every acknowledged commit", arguments: RotationFault.allCases)
    func failureWhileRotating(fault: RotationFault) throws {
        let disk = SimulatedDisk(seed: 31)
        try onThread {
            let (wal, _, _) = try WAL<CrashEvent>.open(
                directory: Self.directory, options: Self.options(disk, .always, segmentTargetBytes: 64))
            let first = Self.transaction(0)
            _ = try wal.commit(first)
            disk.inject(fault.rule)
            // Segment 1 is past its target: this commit rotates first.
            let error = #expect(throws: WALError.self, "\(fault)") { try wal.commit(Self.transaction(1)) }
            #expect(error?.errno != nil, "the error names the failed system call: \(String(describing: error))")
            #expect(wal.failure != nil)
            #expect(wal.activeSegmentID == SegmentID(1))
            let poisoned = #expect(throws: WALError.self) { try wal.commit(Self.transaction(2)) }
            #expect(poisoned?.code == .poisoned)

            let (reopened, events) = try Self.crashAndReopen(disk, abandoning: wal)
            #expect(events == first)
            _ = try reopened.commit(Self.transaction(3))
            try reopened.close()
            let (again, replayed, _) = try WAL<CrashEvent>.open(directory: Self.directory, options: Self.options(disk, .always))
            defer { try? again.close() }
            #expect(replayed == first + Self.transaction(3))
        }
    }
}
