import Foundation
import GraphDatabase
import Testing
import WALTestSupport
import WriteAheadLog

/// Bugs the crash tests found, each pinned by the smallest scenario that showed it.
@Suite("Crash-safety regressions")
struct RegressionTests {
    /// `open` created the log directory (and missing parents) without
    /// fsyncing their parents: a power loss right after the first durable
    /// commit could lose the directory entry, and the whole log with it.
    @Test("a log created in new directories survives a power loss right after its first durable commit")
    func newDirectoriesAreDurable() throws {
        for seed in UInt64(0)..<40 {
            let disk = SimulatedDisk(seed: seed)
            let commit: Commit? = try onThread {
                var options = WALOptions(syncMode: .always)
                options.fileSystem = disk.fileSystem()
                let (wal, _, _) = try WAL<CrashEvent>.open(directory: "/a/b/wal", options: options)
                let commit = try wal.commit(CrashEvent.transaction(writer: 0, sequence: 0, count: 1))
                disk.crash()
                try? wal.close()
                return commit
            }
            let expected = try #require(commit)
            var options = WALOptions(syncMode: .always)
            options.fileSystem = disk.fileSystem()
            let (wal, events, _) = try WAL<CrashEvent>.open(directory: "/a/b/wal", options: options)
            defer { try? wal.close() }
            #expect(events == CrashEvent.transaction(writer: 0, sequence: 0, count: 1), "seed \(seed)")
            #expect(wal.durableLSN >= expected.commitLSN, "seed \(seed)")
        }
    }

    /// `GraphDatabase.open` created its data directory, and a checkpoint its
    /// `snapshots/` folder, without fsyncing their parents: a power loss
    /// could lose the whole database, or the snapshot the log had just been
    /// truncated for (the graph crash tests found both).
    @Test("a new data directory and its snapshot folder survive a power loss after a checkpoint")
    func newDatabaseDirectoriesAreDurable() throws {
        for seed in UInt64(0)..<20 {
            let disk = SimulatedDisk(seed: seed)
            let configuration = { @Sendable in
                var wal = WALOptions(syncMode: .always, segmentTargetBytes: 1024)
                wal.fileSystem = disk.fileSystem()
                return GraphDatabaseConfiguration(storage: .dataDirectory("/srv/graph"), wal: wal, checkpointEveryBytes: nil)
            }
            let committed: String = try onThread {
                let (database, _) = try GraphDatabase.open(configuration())
                for round in 0..<20 {
                    try database.write { _ = try $0.createNode(labels: ["N"], properties: ["round": .int(Int64(round))]) }
                }
                try database.checkpoint()
                let dump = database.snapshot.dump()
                disk.crash()
                try? database.close()
                return dump
            }
            let (database, report) = try GraphDatabase.open(configuration())
            defer { try? database.close() }
            #expect(database.snapshot.dump() == committed, "seed \(seed)")
            #expect(report.snapshotPath != nil, "seed \(seed)")
        }
    }

    /// A group-sync leader and a rotation both fsync the active segment. When
    /// the rotation's fsync failed while the leader's was in flight, the
    /// leader's later *success* was published as durable, though the failed
    /// fsync had already dropped those dirty pages (Linux reports a
    /// writeback error once per file description): a durable claim after a
    /// failed fsync, which contract item 13 forbids. The leader here is
    /// paused inside its fsync until the rotation's fsync has failed.
    @Test("an fsync that succeeds after a concurrent one failed reports nothing durable")
    func concurrentFsyncAfterFailure() throws {
        let disk = SimulatedDisk(seed: 7)
        let directory = "/wal"
        let segment = "/wal/0000000001.wal"
        var options = WALOptions(syncMode: .none, segmentTargetBytes: 64)
        options.fileSystem = disk.fileSystem()
        let (wal, _, _) = try WAL<CrashEvent>.open(directory: directory, options: options)
        let first = try #require(try wal.commit(CrashEvent.transaction(writer: 0, sequence: 0, count: 1)))

        // The next fsync of segment 1 (the leader's) pauses until released.
        let paused = Gate()
        let resume = Gate()
        let armed = LockedBox(true)
        disk.setHook { operation, path in
            guard operation == .fileSync, path == segment else { return }
            let pauseHere = armed.update { armed in
                defer { armed = false }
                return armed
            }
            if pauseHere {
                paused.open()
                resume.wait()
            }
        }
        let leaderResult = LockedBox<Result<LSN, any Error>?>(nil)
        let rotationResult = LockedBox<Result<Commit?, any Error>?>(nil)
        let rotationDone = Gate()
        runOnThreads(3) { index in
            switch index {
            case 0:
                leaderResult.set(Result { try wal.sync() })
            case 1:
                // The rotation starts once the leader sits inside its fsync;
                // its own fsync of segment 1 fails.
                paused.wait()
                disk.inject(.fsyncFails(pathContains: segment))
                rotationResult.set(Result { try wal.commit(CrashEvent.transaction(writer: 0, sequence: 1, count: 1)) })
                rotationDone.open()
            default:
                // Lets the leader go on once the rotation failed, or after a
                // moment if the rotation waits for the leader's fsync.
                paused.wait()
                rotationDone.wait(timeout: .milliseconds(300))
                resume.open()
            }
        }
        disk.setHook(nil)

        guard case .failure = rotationResult.get() else {
            Issue.record("the rotation's failed fsync did not fail its commit")
            return
        }
        #expect(wal.failure != nil)
        #expect(throws: WALError.self) { try wal.sync() }
        let reported: LSN? = if case .success(let lsn) = leaderResult.get() { lsn } else { nil }
        let durable = wal.durableLSN

        // Whatever was reported durable must survive a power loss.
        disk.crash()
        try? wal.close()
        var reopened = WALOptions(syncMode: .none)
        reopened.fileSystem = disk.fileSystem()
        let (recoveredWAL, events, _) = try WAL<CrashEvent>.open(directory: directory, options: reopened)
        defer { try? recoveredWAL.close() }
        let survived = events.contains(CrashEvent.transaction(writer: 0, sequence: 0, count: 1)[0])
        if let reported, reported >= first.commitLSN {
            #expect(survived, "sync() reported LSN \(reported) durable, but the commit at \(first.commitLSN) was lost")
        }
        if durable >= first.commitLSN {
            #expect(survived, "durableLSN \(durable) covered the commit at \(first.commitLSN), but it was lost")
        }
    }

    /// With a segment target at or below the header size, every new
    /// segment was "full" before it held a record, so rotation sealed it
    /// empty and gave the next one the same base LSN, which the next open
    /// refuses as base LSNs not increasing.
    @Test("a tiny segment target never seals an empty segment", arguments: [UInt64(1), 32, 33])
    func tinySegmentTarget(target: UInt64) throws {
        let disk = SimulatedDisk(seed: 5)
        var options = WALOptions(syncMode: .none, segmentTargetBytes: target)
        options.fileSystem = disk.fileSystem()
        let (wal, _, _) = try WAL<CrashEvent>.open(directory: "/wal", options: options)
        var expected: [CrashEvent] = []
        for sequence in UInt32(0)..<4 {
            let events = CrashEvent.transaction(writer: 0, sequence: sequence, count: 1)
            _ = try wal.commit(events)
            expected += events
        }
        try wal.close()
        let (reopened, events, report) = try WAL<CrashEvent>.open(directory: "/wal", options: options)
        defer { try? reopened.close() }
        #expect(events == expected)
        #expect(report.segments.allSatisfy { $0.records > 0 || !$0.isSealed })
    }

    /// Salvage cut a damaged segment whose very first record was bad down
    /// to its bare header and left it sealed; the segment created after it
    /// got the same base LSN, so the next open refused the log and a second
    /// salvage would have quarantined everything written since. Found by
    /// the fuzzer (damaged-log mode).
    @Test("salvage of a segment damaged at its first record leaves a log that opens strictly")
    func salvageOfEmptyPrefix() throws {
        let disk = SimulatedDisk(seed: 6)
        var options = WALOptions(syncMode: .none, segmentTargetBytes: 80)
        options.fileSystem = disk.fileSystem()
        let (wal, _, _) = try WAL<CrashEvent>.open(directory: "/wal", options: options)
        for sequence in UInt32(0)..<6 { _ = try wal.commit(CrashEvent.transaction(writer: 0, sequence: sequence, count: 2)) }
        try wal.close()
        var segment = try #require(disk.contents(of: "/wal/0000000001.wal"))
        segment[40] ^= 0x10
        disk.replaceContents(of: "/wal/0000000001.wal", with: segment)

        options.recoveryMode = .salvage
        let (salvaged, events, report) = try WAL<CrashEvent>.open(directory: "/wal", options: options)
        #expect(events.isEmpty)
        #expect(report.damage?.offset == 32)
        #expect(report.quarantined.first?.keptValidPrefix == false)
        let fresh = CrashEvent.transaction(writer: 1, sequence: 0, count: 1)
        _ = try salvaged.commit(fresh)
        try salvaged.close()

        options.recoveryMode = .strict
        let (reopened, replayed, strictReport) = try WAL<CrashEvent>.open(directory: "/wal", options: options)
        defer { try? reopened.close() }
        #expect(replayed == fresh)
        #expect(strictReport.damage == nil)
    }

    /// When the active segment's base LSN lies above the last record read
    /// (here: a log holding only an empty segment with base 36), open set
    /// nextLSN to the base but left written and durable LSN at the last
    /// record. No write could ever cover the gap, so `sync()` and `close()`
    /// spun forever. Found by the fuzzer (directory-image mode).
    @Test("sync and close return when the active segment starts above the last record")
    func baseAboveLastRecord() throws {
        let disk = SimulatedDisk(seed: 8)
        let fs = disk.fileSystem()
        try fs.createDirectory("/wal")
        let file = try fs.openFile("/wal/0000000005.wal", mode: .createNew)
        try SegmentHeader(baseLSN: LSN(36)).bytes.withUnsafeBytes { try file.write($0, at: 0) }
        var options = WALOptions(syncMode: .none)
        options.fileSystem = fs
        let (wal, events, _) = try WAL<CrashEvent>.open(directory: "/wal", options: options)
        #expect(events.isEmpty)
        #expect(wal.nextLSN == LSN(36))

        let returned = Gate()
        let thread = Thread {
            _ = try? wal.sync()
            try? wal.close()
            returned.open()
        }
        thread.start()
        #expect(returned.wait(timeout: .seconds(5)), "sync() or close() never returned")
        #expect(wal.durableLSN == LSN(35))
    }

    /// A log whose last segment is sealed and empty, with a base LSN above
    /// its last record (here the only segment: sealed, base 2, no records).
    /// Strict open accepted it and started the next segment at the last
    /// record + 1, below the sealed segment's base, so the *next* open
    /// refused the log it had just written. Found by the fuzzer.
    @Test("a segment started after an empty sealed one rises above its base LSN")
    func freshSegmentAfterEmptySealedSegment() throws {
        let disk = SimulatedDisk(seed: 9)
        let fs = disk.fileSystem()
        try fs.createDirectory("/wal")
        let file = try fs.openFile("/wal/0000000003.wal", mode: .createNew)
        try SegmentHeader(baseLSN: LSN(2), isSealed: true).bytes.withUnsafeBytes { try file.write($0, at: 0) }
        var options = WALOptions(syncMode: .none)
        options.fileSystem = fs
        let (wal, _, _) = try WAL<CrashEvent>.open(directory: "/wal", options: options)
        let events = CrashEvent.transaction(writer: 0, sequence: 0, count: 1)
        let commit = try #require(try wal.commit(events))
        #expect(commit.beginLSN > LSN(2))
        try wal.close()
        let (reopened, replayed, report) = try WAL<CrashEvent>.open(directory: "/wal", options: options)
        defer { try? reopened.close() }
        #expect(replayed == events)
        #expect(report.segments.map(\.baseLSN) == [LSN(2), LSN(3)])
    }

    /// A sealed segment cut exactly at a record boundary passes every
    /// record check, so replay returned the transactions of the next
    /// segment while the cut-off ones were silently gone: not a prefix of
    /// the commit order, in strict mode too. Found by the fuzzer.
    @Test("a sealed segment cut at a record boundary is damage, not a silent gap")
    func sealedSegmentCutAtRecordBoundary() throws {
        let disk = SimulatedDisk(seed: 10)
        var options = WALOptions(syncMode: .none, segmentTargetBytes: 200)
        options.fileSystem = disk.fileSystem()
        let (wal, _, _) = try WAL<CrashEvent>.open(directory: "/wal", options: options)
        var commits: [Commit] = []
        for sequence in UInt32(0)..<8 {
            commits.append(try #require(try wal.commit(CrashEvent.transaction(writer: 0, sequence: sequence, count: 1))))
        }
        try wal.close()
        // Drop the last transaction (begin, batch, commit) of sealed segment 1,
        // cutting at a record boundary: every remaining record is valid.
        let image = try #require(disk.contents(of: "/wal/0000000001.wal"))
        var boundaries = [SegmentHeader.size]
        while let last = boundaries.last, last + 4 <= image.count {
            let length = Int(image[last]) | Int(image[last + 1]) << 8 | Int(image[last + 2]) << 16 | Int(image[last + 3]) << 24
            boundaries.append(last + length)
        }
        let cut = try #require(boundaries.dropLast(3).last)
        disk.replaceContents(of: "/wal/0000000001.wal", with: Array(image[0..<cut]))

        let error = #expect(throws: WALError.self) {
            try WAL<CrashEvent>.replay(directory: "/wal", fileSystem: disk.fileSystem()) { _ in }
        }
        #expect(error?.path == "/wal/0000000002.wal")
        var salvaged: [LSN] = []
        let report = try WAL<CrashEvent>.replay(directory: "/wal", recoveryMode: .salvage, fileSystem: disk.fileSystem()) {
            salvaged.append($0.commitLSN)
        }
        #expect(report.damage != nil)
        #expect(salvaged == Array(commits.map(\.commitLSN).prefix(salvaged.count)))
        #expect(salvaged.count < commits.count)
    }
}
