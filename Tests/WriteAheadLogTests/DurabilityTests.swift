import Foundation
import Synchronization
import Testing
import WALTestSupport

@testable import WriteAheadLog

@Suite("Durability, group commit and poisoning")
struct DurabilityTests {
    @Test("under groupSync, flush does not move the durable LSN; sync does")
    func groupSyncFlush() throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.path, .test(.groupSync(interval: .seconds(60))))
        let commit = try #require(try wal.commit([Note(1, "a")]))
        try wal.flush()
        #expect(wal.writtenLSN == commit.commitLSN)
        #expect(wal.durableLSN == .none)
        #expect(try wal.sync() == commit.commitLSN)
        #expect(wal.durableLSN == commit.commitLSN)
        try wal.close()
    }

    @Test("under groupSync, the flusher thread makes commits durable within its interval")
    func groupSyncFlusher() throws {
        let directory = TemporaryDirectory()
        let fileSystem = InstrumentedFileSystem()
        let (wal, _, _) = try openNotes(directory.path, .instrumented(fileSystem, .groupSync(interval: .milliseconds(10))))
        let commit = try #require(try wal.commit([Note(1, "a")]))
        #expect(!commit.isDurable)
        for _ in 0..<500 where wal.durableLSN < commit.commitLSN { usleep(2000) }
        #expect(wal.durableLSN == commit.commitLSN)
        #expect(fileSystem.syncCount >= 1)
        try wal.close()
    }

    @Test("under always, a commit returns durable, and .durable forces it under none")
    func alwaysAndDurableCommit() throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.child("always"), .test(.always))
        let commit = try #require(try wal.commit([Note(1, "a")]))
        #expect(commit.isDurable && wal.durableLSN >= commit.commitLSN)
        try wal.close()
        let (lazy, _, _) = try openNotes(directory.child("none"), .test(.none))
        let plain = try #require(try lazy.commit([Note(1, "a")]))
        #expect(!plain.isDurable && lazy.durableLSN == .none)
        let forced = try #require(try lazy.commit([Note(2, "b")], durability: .durable))
        #expect(forced.isDurable && lazy.durableLSN >= forced.commitLSN)
        try lazy.close()
    }

    @Test("a .written commit returns before the fsync even under always, and waitUntilDurable finishes it")
    func writtenCommit() throws {
        let directory = TemporaryDirectory()
        let fileSystem = InstrumentedFileSystem()
        let (wal, _, _) = try openNotes(directory.path, .instrumented(fileSystem, .always))
        fileSystem.closeGate()
        let commit = try #require(try wal.commit([Note(1, "a")], durability: .written))
        #expect(!commit.isDurable)
        #expect(wal.writtenLSN == commit.commitLSN)
        #expect(wal.durableLSN < commit.commitLSN)
        fileSystem.openGate()
        try wal.waitUntilDurable(commit.commitLSN)
        #expect(wal.durableLSN >= commit.commitLSN)
        try wal.close()
    }

    @Test("concurrent committers under always share fsyncs, and each returns only once covered")
    func groupCommit() throws {
        let directory = TemporaryDirectory()
        let fileSystem = InstrumentedFileSystem()
        fileSystem.hooks.withLock { $0.syncDelay = .milliseconds(3) }
        let (wal, _, _) = try openNotes(directory.path, .instrumented(fileSystem, .always))
        let violations = Atomic<Int>(0)
        let threads = 8, perThread = 25
        // Real threads: concurrentPerform would run only as many as there are cores.
        let done = DispatchGroup()
        for thread in 0..<threads {
            done.enter()
            Thread {
                for index in 0..<perThread {
                    guard let commit = try? wal.commit([Note(UInt16(thread), "\(index)")]) else {
                        violations.add(1, ordering: .relaxed)
                        continue
                    }
                    if wal.durableLSN < commit.commitLSN { violations.add(1, ordering: .relaxed) }
                }
                done.leave()
            }.start()
        }
        done.wait()
        let violationCount = violations.load(ordering: .relaxed)
        #expect(violationCount == 0)
        let syncs = fileSystem.syncCount
        #expect(syncs < threads * perThread / 2, "\(syncs) fsyncs for \(threads * perThread) commits")
        try wal.close()
        let (again, events, _) = try openNotes(directory.path)
        #expect(events.count == threads * perThread)
        try again.close()
    }

    @Test("mapped segments are preallocated in every mode, but under always written with write calls, not the mapping")
    func alwaysWritesPreallocatedSegmentsWithoutMapping() throws {
        let directory = TemporaryDirectory()
        for mode in [SyncMode.always, .groupSync(interval: .seconds(60)), .none] {
            let path = directory.child("\(mode)")
            let (wal, _, _) = try openNotes(path, .test(mode, segmentTargetBytes: 4096))
            for index in 0..<200 { try wal.commit([Note(1, "note \(index) " + String(repeating: "x", count: 40))]) }
            #expect(wal.activeSegmentID > SegmentID(1), "the log rotated")
            let mapped = wal.engine.writer.withLock { $0.mapping != nil }
            #expect(mapped == (mode != .always), "\(mode)")
            // The active segment reaches past its records: reserved, zero-filled space.
            let activeSize = try SegmentFiles.read(SegmentFiles.segmentPath(path, wal.activeSegmentID.rawValue)).count
            #expect(activeSize >= Int(LogEngine.mappingGranule), "\(mode)")
            _ = try wal.sync()
            try wal.close()
            let (again, events, _) = try openNotes(path)
            #expect(events.count == 200, "\(mode)")
            try again.close()
        }
    }

    @Test("the flusher prefaults the mapped segment ahead of the write position, and rotations racing it lose nothing")
    func prefaultAhead() throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.path, .test(.groupSync(interval: .seconds(60)), segmentTargetBytes: 64 << 10))
        try wal.commit([Note(1, "first")])
        let prefaulted = { wal.engine.writer.withLock { ($0.prefaultedEnd, $0.fileOffset) } }
        for _ in 0..<2000 where prefaulted().0 <= prefaulted().1 { usleep(1000) }
        let (end, offset) = prefaulted()
        #expect(end > offset, "prefaulted to \(end), written to \(offset)")
        var expected = [Note(1, "first")]
        for index in 0..<20_000 {
            let note = Note(2, "note \(index)")
            try wal.commit([note])
            expected.append(note)
        }
        #expect(wal.activeSegmentID > SegmentID(10), "the log rotated while prefaulting")
        try wal.close()
        let (again, events, _) = try openNotes(directory.path)
        #expect(events == expected)
        try again.close()
    }

    @Test("before each fsync the pages the writer is done with are unmapped, and every byte still reaches the file")
    func unmapsWrittenPages() throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.path, .test(.groupSync(interval: .seconds(60)), segmentTargetBytes: 128 << 10))
        var expected: [Note] = []
        var unmapped: [UInt64] = []
        for round in 0..<12 {
            for index in 0..<500 {
                let note = Note(UInt16(round), String(repeating: "n", count: index % 90))
                try wal.commit([note])
                expected.append(note)
            }
            try wal.sync()
            let (end, offset) = wal.engine.writer.withLock { ($0.unmappedEnd, $0.fileOffset) }
            #expect(end <= offset && end % 4096 == 0 && offset - end < 4096 || end == 0)
            unmapped.append(end)
        }
        #expect(unmapped.contains { $0 > 0 }, "the writer's pages were unmapped: \(unmapped)")
        #expect(wal.activeSegmentID > SegmentID(1), "the log rotated meanwhile")
        // Written after unmapping, through fresh page-table entries.
        for index in 0..<500 {
            try wal.commit([Note(99, "after \(index)")])
            expected.append(Note(99, "after \(index)"))
        }
        try wal.close()
        let (again, events, _) = try openNotes(directory.path)
        #expect(events == expected)
        try again.close()
    }

    @Test("appending goes on while an fsync is in flight: no fsync runs under the append lock")
    func appendDuringFsync() throws {
        let directory = TemporaryDirectory()
        let fileSystem = InstrumentedFileSystem()
        let (wal, _, _) = try openNotes(directory.path, .instrumented(fileSystem, .always))
        fileSystem.closeGate()
        let committed = Atomic<Bool>(false)
        let committer = Thread {
            _ = try? wal.commit([Note(1, "held at the gate")])
            committed.store(true, ordering: .releasing)
        }
        committer.start()
        fileSystem.waitForSyncAtGate()
        // The fsync is stuck; a primitive append needs only the append lock.
        let tx = try wal.begin()
        _ = try wal.append(Note(2, "appended meanwhile"), to: tx)
        let committedWhileHeld = committed.load(ordering: .acquiring)
        #expect(!committedWhileHeld)
        fileSystem.openGate()
        for _ in 0..<2000 where !committed.load(ordering: .acquiring) { usleep(1000) }
        let committedAfterwards = committed.load(ordering: .acquiring)
        #expect(committedAfterwards)
        _ = try wal.abort(tx)
        try wal.close()
    }

    @Test("a failed fsync poisons the log: nothing it covered is reported durable, and every later write fails")
    func fsyncFailurePoisons() throws {
        let directory = TemporaryDirectory()
        let fileSystem = InstrumentedFileSystem()
        let (wal, _, _) = try openNotes(directory.path, .instrumented(fileSystem, .always))
        let first = try #require(try wal.commit([Note(1, "durable")]))
        fileSystem.hooks.withLock { $0.failSyncs = true }
        expectWALError(.io) { try wal.commit([Note(2, "not durable")]) }
        #expect(wal.durableLSN == first.commitLSN)
        #expect(wal.failure?.code == .io)
        #expect(wal.failure?.description.contains("injected fsync failure") == true)
        // Healing the disk changes nothing: no fsync is retried after a failure.
        fileSystem.hooks.withLock { $0.failSyncs = false }
        let syncsBefore = fileSystem.syncCount
        expectWALError(.poisoned) { try wal.commit([Note(3, "refused")]) }
        expectWALError(.poisoned) { try wal.sync() }
        expectWALError(.poisoned) { try wal.flush() }
        #expect(fileSystem.syncCount == syncsBefore)
        #expect(wal.durableLSN == first.commitLSN)
        #expect(try wal.status().failure != nil)
        try wal.close()
        // A restart recovers what reached the file.
        let (again, events, _) = try openNotes(directory.path)
        #expect(events.prefix(1) == [Note(1, "durable")])
        try again.close()
    }

    @Test("a failed write poisons the log and the commit reports the error")
    func writeFailurePoisons() throws {
        let directory = TemporaryDirectory()
        let fileSystem = InstrumentedFileSystem()
        let (wal, _, _) = try openNotes(directory.path, .instrumented(fileSystem, .none))
        try wal.commit([Note(1, "kept")])
        fileSystem.hooks.withLock { $0.failWrites = true }
        let error = expectWALError(.io) { try wal.commit([Note(2, "lost")]) }
        #expect(error?.errnoText?.contains("No space left") == true)
        fileSystem.hooks.withLock { $0.failWrites = false }
        expectWALError(.poisoned) { try wal.commit([Note(3, "refused")]) }
        try wal.close()
        let (again, events, _) = try openNotes(directory.path)
        #expect(events == [Note(1, "kept")])
        try again.close()
    }

    @Test("an async commit suspends until durable under always, and with .durable under none")
    func asyncCommit() async throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.child("always"), .test(.always))
        let commit = try #require(try await wal.commit([Note(1, "a")]))
        #expect(commit.isDurable && wal.durableLSN >= commit.commitLSN)
        try wal.close()
        let (lazy, _, _) = try openNotes(directory.child("none"), .test(.none))
        let written = try #require(try await lazy.commit([Note(1, "a")]))
        #expect(lazy.writtenLSN >= written.commitLSN)
        let durable = try #require(try await lazy.commit([Note(2, "b")], durability: .durable))
        #expect(lazy.durableLSN >= durable.commitLSN)
        try lazy.close()
    }

    @Test("many async committers all complete and are all replayed")
    func manyAsyncCommitters() async throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.path, .test(.always))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for task in 0..<64 {
                group.addTask {
                    for index in 0..<5 { try await wal.commit([Note(UInt16(task), "\(index)")]) }
                }
            }
            try await group.waitForAll()
        }
        try wal.close()
        let (again, events, _) = try openNotes(directory.path)
        #expect(events.count == 320)
        try again.close()
    }

    @Test("waiting for durability: blocking, async, and a cancelled waiter disturbs nobody")
    func waitingAndCancellation() async throws {
        let directory = TemporaryDirectory()
        let fileSystem = InstrumentedFileSystem()
        let (wal, _, _) = try openNotes(directory.path, .instrumented(fileSystem, .none))
        let first = try #require(try await wal.commit([Note(1, "a")]))
        try await wal.waitUntilDurable(first.commitLSN)
        #expect(wal.durableLSN >= first.commitLSN)

        let second = try #require(try await wal.commit([Note(2, "b")]))
        fileSystem.closeGate()
        let cancelled = Task { try await wal.waitUntilDurable(second.commitLSN) }
        let patient = Task { try await wal.waitUntilDurable(second.commitLSN) }
        fileSystem.waitForSyncAtGate()
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }
        fileSystem.openGate()
        try await patient.value
        #expect(wal.durableLSN >= second.commitLSN)
        await #expect(throws: WALError.self) { try await wal.waitUntilDurable(LSN(10_000)) }
        try wal.close()
    }
}
