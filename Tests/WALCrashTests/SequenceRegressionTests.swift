import Foundation
import Testing
import WALTestSupport
import WriteAheadLog

/// Bugs that only a sequence of failures shows: a kill, a recovery,
/// something done with what was recovered, then a power loss.
extension RegressionTests {
    static let sequenceDirectory = "/srv/wal"

    static func sequenceOptions(_ disk: SimulatedDisk, _ syncMode: SyncMode, writeMode: WriteMode = .mappedSegments) -> WALOptions {
        var options = WALOptions(syncMode: syncMode, segmentTargetBytes: 4096, writeMode: writeMode)
        options.fileSystem = disk.fileSystem()
        return options
    }

    static func transaction(_ sequence: UInt32, count: Int = 2) -> [CrashEvent] {
        CrashEvent.transaction(writer: 1, sequence: sequence, count: count)
    }

    /// Recovery after a kill read commits back from the page cache and
    /// reported them durable without an fsync. A snapshot stamped with that
    /// durable LSN, then a power loss, left the log ending below the
    /// snapshot; the reopened log handed out LSNs at or below it, and the
    /// next recovery skipped the commits acknowledged as durable there as
    /// "in the snapshot".
    @Test("a kill, a recovery, a checkpoint and a power loss lose no durable commit", arguments: [SyncMode.groupSync(interval: .seconds(3600)), .none])
    func killRecoverCheckpointPowerLoss(syncMode: SyncMode) throws {
        for seed in UInt64(0)..<12 {
            let disk = SimulatedDisk(seed: seed)
            try onThread {
                // 1. Commits in the kernel, no fsync yet; the process is killed.
                let (first, _, _) = try WAL<CrashEvent>.open(directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, syncMode))
                for sequence in UInt32(0)..<5 { try first.commit(Self.transaction(sequence)) }
                disk.kill()
                try? first.close()

                // 2. Recovery reads them back; a checkpoint stamps the durable LSN.
                let (second, recovered, _) = try WAL<CrashEvent>.open(directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, syncMode))
                #expect(recovered.count == 10, "seed \(seed): a kill keeps every commit")
                let snapshotLSN = try second.sync()
                _ = try second.recordCheckpoint(snapshotLSN: snapshotLSN)

                // 3. Power loss: whatever the recovery called durable must be on disk.
                disk.crash()
                try? second.close()

                // 4. Durable commits after the restart.
                let (third, _, _) = try WAL<CrashEvent>.open(
                    directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, syncMode), fence: snapshotLSN)
                var acknowledged: [Commit] = []
                for sequence in UInt32(5)..<10 {
                    let commit = try #require(try third.commit(Self.transaction(sequence), durability: .durable))
                    #expect(commit.beginLSN > snapshotLSN, "seed \(seed): LSN \(commit.beginLSN) is at or below the snapshot's \(snapshotLSN)")
                    acknowledged.append(commit)
                }
                try third.close()

                // 5. A clean restart keeps every one of them.
                let (fourth, events, _) = try WAL<CrashEvent>.open(
                    directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, syncMode), fence: snapshotLSN)
                defer { try? fourth.close() }
                let expected = (UInt32(5)..<10).flatMap { Self.transaction($0) }
                #expect(events == expected, "seed \(seed): durable commits after the restart were lost")
            }
        }
    }

    @Test("durableLSN after open covers only what an fsync covered: a power loss right after open keeps it", arguments: [WriteMode.mappedSegments, .writeCalls])
    func durableAfterOpenSurvivesPowerLoss(writeMode: WriteMode) throws {
        for seed in UInt64(0)..<12 {
            let disk = SimulatedDisk(seed: seed)
            try onThread {
                let mode = SyncMode.groupSync(interval: .seconds(3600))
                let (first, _, _) = try WAL<CrashEvent>.open(directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, mode, writeMode: writeMode))
                for sequence in UInt32(0)..<30 { try first.commit(Self.transaction(sequence)) }
                disk.kill()
                try? first.close()
                let (second, _, _) = try WAL<CrashEvent>.open(directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, mode, writeMode: writeMode))
                let durable = second.durableLSN
                disk.crash()
                try? second.close()
                let (third, _, report) = try WAL<CrashEvent>.open(directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, mode, writeMode: writeMode))
                defer { try? third.close() }
                #expect(report.maxLSN >= durable, "seed \(seed): open reported \(durable) durable, a power loss kept up to \(report.maxLSN)")
            }
        }
    }

    /// A log that ends below the fence it is opened with (a snapshot newer
    /// than the log) must continue above the fence, durably.
    @Test("a log opened with a fence above its end continues above the fence, and a crash does not undo that")
    func continuesAboveFence() throws {
        for seed in UInt64(0)..<12 {
            let disk = SimulatedDisk(seed: seed)
            try onThread {
                let (first, _, _) = try WAL<CrashEvent>.open(directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, .always))
                for sequence in UInt32(0)..<3 { try first.commit(Self.transaction(sequence)) }
                try first.close()
                let fence = LSN(500)
                let (second, skipped, report) = try WAL<CrashEvent>.open(
                    directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, .always), fence: fence)
                #expect(skipped.isEmpty)
                let continuation = try #require(report.continuedAboveFence, "seed \(seed)")
                #expect(continuation.fence == fence)
                #expect(continuation.setAside.count >= 1)
                #expect(second.nextLSN == LSN(501))
                let commit = try #require(try second.commit(Self.transaction(3)))
                #expect(commit.beginLSN == LSN(501))
                disk.crash()
                try? second.close()
                let (third, events, again) = try WAL<CrashEvent>.open(
                    directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, .always), fence: fence)
                defer { try? third.close() }
                #expect(events == Self.transaction(3), "seed \(seed)")
                #expect(again.continuedAboveFence == nil)
                // Nothing was deleted: the old segments are in superseded/.
                let superseded = disk.snapshot(of: Self.sequenceDirectory + "/superseded")
                #expect(!superseded.isEmpty, "seed \(seed)")
            }
        }
    }

    /// A kill between creating the log directory and fsyncing its parent
    /// left the directory in the page cache only. The next open found it,
    /// created nothing and fsynced nothing, so a power loss, however much
    /// later, took the directory and every durable commit in it. Found by
    /// the crash-sequence tests.
    @Test("a kill while the log directory is being created, a restart, durable commits, a power loss: the commits survive")
    func killWhileCreatingDirectory() throws {
        for operations in 0..<4 {
            for seed in UInt64(0)..<6 {
                let disk = SimulatedDisk(seed: seed)
                try onThread {
                    disk.kill(afterOperations: operations)
                    let first = try? WAL<CrashEvent>.open(directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, .always))
                    if disk.boot == 0 { disk.kill() }
                    try? first?.wal.close()
                    let (second, _, _) = try WAL<CrashEvent>.open(directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, .always))
                    try second.commit(Self.transaction(0), durability: .durable)
                    disk.crash()
                    try? second.close()
                    let (third, events, _) = try WAL<CrashEvent>.open(directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, .always))
                    defer { try? third.close() }
                    #expect(events == Self.transaction(0), "kill after \(operations) operations, seed \(seed): the durable commit is gone")
                }
            }
        }
    }

    /// Moving the old segments aside is several renames: a crash between
    /// any two must leave a log the next open (with the same fence) takes,
    /// continuing above the fence all the same, with nothing deleted.
    @Test("a power loss or kill at any step of continuing above the fence leaves a log that continues above it")
    func crashWhileContinuingAboveFence() throws {
        let fence = LSN(500)
        var interrupted = 0
        for operations in 0..<40 {
            for kind in CrashKind.allCases {
                let disk = SimulatedDisk(seed: UInt64(operations) &* 7 &+ (kind == .powerLoss ? 1 : 2))
                let crashedInOpen = try onThread {
                    var options = Self.sequenceOptions(disk, .always)
                    options.segmentTargetBytes = 300
                    let (first, _, _) = try WAL<CrashEvent>.open(directory: Self.sequenceDirectory, options: options)
                    for sequence in UInt32(0)..<8 { try first.commit(Self.transaction(sequence)) }
                    try first.close()
                    disk.crash(afterOperations: operations, kind: kind)
                    let second = try? WAL<CrashEvent>.open(directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, .always), fence: fence)
                    let crashedInOpen = disk.boot != 0
                    if !crashedInOpen { disk.crash() }
                    try? second?.wal.close()
                    let (third, events, _) = try WAL<CrashEvent>.open(
                        directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, .always), fence: fence)
                    defer { try? third.close() }
                    #expect(events.isEmpty, "\(kind) after \(operations) operations: replayed \(events.count) events below the fence")
                    let commit = try #require(try third.commit(Self.transaction(99), durability: .durable))
                    #expect(commit.beginLSN > fence, "\(kind) after \(operations) operations: LSN \(commit.beginLSN) at or below the fence")
                    let segments = disk.snapshot(of: Self.sequenceDirectory).keys.filter { $0.hasSuffix(".wal") }
                    #expect(segments.count >= 2, "\(kind) after \(operations) operations: segments were lost, not set aside")
                    return crashedInOpen
                }
                if crashedInOpen { interrupted += 1 }
            }
        }
        #expect(interrupted > 0, "no crash landed inside the open")
    }

    @Test("a new log opened with a fence starts above it")
    func newLogStartsAboveFence() throws {
        let disk = SimulatedDisk(seed: 1)
        try onThread {
            let (wal, _, report) = try WAL<CrashEvent>.open(
                directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, .always), fence: LSN(41))
            defer { try? wal.close() }
            #expect(report.continuedAboveFence == nil)
            #expect(wal.nextLSN == LSN(42))
            #expect(wal.durableLSN == LSN(41))
        }
    }

    /// memmove stores a large copy in no particular order: a kill in the
    /// middle of copying a group into the mapping could leave a complete
    /// later record behind zeros where earlier ones belong. The simulated
    /// mapping stores the last piece of each copy first, and every
    /// interruption point is tried.
    @Test("a kill in the middle of a copy into the mapped segment leaves whole records and a torn tail")
    func killDuringMappedCopy() throws {
        let mode = SyncMode.groupSync(interval: .seconds(3600))
        var interruptions = 0
        for operations in 0..<8 {
            for pieces in 0..<6 {
                let disk = SimulatedDisk(seed: UInt64(operations * 10 + pieces))
                try onThread {
                    let (wal, _, _) = try WAL<CrashEvent>.open(directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, mode))
                    try wal.commit(Self.transaction(0))
                    disk.kill(afterOperations: operations, interruptedStorePieces: pieces)
                    _ = try? wal.commit(Self.transaction(1, count: 6))
                    _ = try? wal.commit(Self.transaction(2, count: 1))
                    if disk.boot == 0 { disk.kill() }
                    try? wal.close()
                }
                interruptions += disk.statistics.interruptedStores
                let result = try onThread {
                    try WAL<CrashEvent>.open(directory: Self.sequenceDirectory, options: Self.sequenceOptions(disk, mode))
                }
                defer { try? result.wal.close() }
                let committed = [Self.transaction(0), Self.transaction(1, count: 6), Self.transaction(2, count: 1)]
                let prefixes = (1...3).map { Array(committed.prefix($0).joined()) }
                #expect(prefixes.contains(result.events), "kill after \(operations) operations, \(pieces) pieces: not a prefix")
            }
        }
        #expect(interruptions > 0, "no copy was interrupted: the test did not reach the hazard")
    }

    /// Salvage must not lose what it sets aside: its copy and the folder
    /// entry naming it are durable before the original is cut, and moves
    /// leave no hole.
    @Test("a power loss at any step of salvage loses nothing it set aside")
    func salvageIsDurable() throws {
        var checked = 0
        for crashAfter in 0..<14 {
            for seed in UInt64(0)..<4 {
                let disk = SimulatedDisk(seed: seed &* 31 &+ UInt64(crashAfter))
                let damagedBytes: [UInt8] = try onThread {
                    var options = Self.sequenceOptions(disk, .always, writeMode: .writeCalls)
                    options.segmentTargetBytes = 400
                    let (wal, _, _) = try WAL<CrashEvent>.open(directory: Self.sequenceDirectory, options: options)
                    for sequence in UInt32(0)..<12 { try wal.commit(Self.transaction(sequence)) }
                    try wal.close()
                    // Damage the middle of segment 2, sealed, with segments after it.
                    let path = Self.sequenceDirectory + "/" + SegmentID(2).fileName
                    var bytes = try #require(disk.contents(of: path))
                    bytes[bytes.count - 30] ^= 0xFF
                    disk.replaceContents(of: path, with: bytes)
                    return bytes
                }
                var salvage = Self.sequenceOptions(disk, .always, writeMode: .writeCalls)
                salvage.recoveryMode = .salvage
                let options = salvage
                disk.crash(afterOperations: crashAfter)
                let opened = try? onThread { try WAL<CrashEvent>.open(directory: Self.sequenceDirectory, options: options) }
                if disk.boot == 0 {
                    disk.crash()
                }
                try? opened?.wal.close()
                // Whatever the crash kept: the damaged segment's bytes exist
                // whole somewhere, in the log or in quarantine.
                let files = disk.snapshot(of: Self.sequenceDirectory)
                #expect(files.values.contains(damagedBytes), "crash after \(crashAfter) operations, seed \(seed): the damaged segment is gone")
                // And salvage still opens the log.
                var reopen = Self.sequenceOptions(disk, .always, writeMode: .writeCalls)
                reopen.recoveryMode = .salvage
                let options2 = reopen
                let again = try onThread { try WAL<CrashEvent>.open(directory: Self.sequenceDirectory, options: options2) }
                try again.wal.close()
                checked += 1
            }
        }
        #expect(checked > 0)
    }
}
