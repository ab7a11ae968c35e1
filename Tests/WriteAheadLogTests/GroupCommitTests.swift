import Foundation
import Synchronization
import Testing
import WALTestSupport

@testable import WriteAheadLog

/// Pins how blocked committers share fsyncs: who sleeps on which
/// generation, who leads the next one, and that nobody is stranded.
@Suite("Group commit generations")
struct GroupCommitTests {
    @Test("committers arriving during an fsync register for the next one, and exactly one more fsync covers them all")
    func lateComersShareOneFsync() throws {
        let held = try HeldFsync(lateCommitters: 3)
        let syncsBefore = held.fileSystem.syncCount
        held.fileSystem.openGate()
        let firstResults = try held.first.wait(), lateResults = try held.late.wait()
        #expect(firstResults.allSatisfy { $0 == nil })
        #expect(lateResults.allSatisfy { $0 == nil }, "\(lateResults)")
        #expect(held.fileSystem.syncCount == syncsBefore + 1)
        #expect(held.wal.durableLSN == held.wal.writtenLSN)
        try held.wal.close()
    }

    @Test("an fsync failure wakes both the committers it covered and those registered for the next one")
    func failureWakesEveryGeneration() throws {
        let held = try HeldFsync(lateCommitters: 2, failingFirst: true)
        held.fileSystem.openGate()
        #expect(try held.first.wait().map { $0?.code } == [.io])
        #expect(try held.late.wait().map { $0?.code } == [.poisoned, .poisoned])
        #expect(held.wal.durableLSN == .none)
        try held.wal.close()
    }

    @Test("when the fsync of a handed-off generation fails, its leader gets the error and the rest are poisoned")
    func failureInHandedOffGeneration() throws {
        let held = try HeldFsync(lateCommitters: 2)
        // The fsync at the gate has already passed the failure hook; the next one will not.
        held.fileSystem.hooks.withLock { $0.failSyncs = true }
        held.fileSystem.openGate()
        #expect(try held.first.wait().allSatisfy { $0 == nil })
        let codes = try held.late.wait().map { $0?.code }
        #expect(codes.sorted { "\(String(describing: $0))" < "\(String(describing: $1))" } == [.io, .poisoned], "\(codes)")
        #expect(held.wal.durableLSN < held.wal.writtenLSN)
        try held.wal.close()
    }

    @Test(
        "64 threads, async tasks, syncs, flushes and rotations together: every commit returns, durable, and is replayed",
        arguments: [SyncMode.always, .groupSync(interval: .milliseconds(2))])
    func stress(mode: SyncMode) async throws {
        let directory = TemporaryDirectory()
        let fileSystem = InstrumentedFileSystem()
        var options = WALOptions.instrumented(fileSystem, mode)
        options.segmentTargetBytes = 16 << 10
        let (wal, _, _) = try openNotes(directory.path, options)
        let threads = 64, perThread = 100, tasks = 16, perTask = 50
        let stop = Atomic<Bool>(false)
        let helpers = Thread {
            while !stop.load(ordering: .acquiring) {
                _ = try? wal.sync()
                try? wal.flush()
                if Int.random(in: 0..<4) == 0 { fileSystem.hooks.withLock { $0.syncDelay = .microseconds(Int64.random(in: 0...300)) } }
            }
        }
        helpers.start()
        let blocking = BlockingCommits(wal, tags: Array(0..<UInt16(threads)), commitsEach: perThread, durability: .durable)
        let asyncFinished = Atomic<Bool>(false)
        let asyncCommits = Task {
            defer { asyncFinished.store(true, ordering: .releasing) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<tasks {
                    group.addTask {
                        for index in 0..<perTask {
                            let commit = try await wal.commit([Note(UInt16(1000 + task), "\(index)")], durability: .durable)
                            #expect(wal.durableLSN >= (commit?.commitLSN ?? LSN(UInt64.max)))
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        defer { stop.store(true, ordering: .releasing) }
        let failures = try blocking.wait(timeout: .seconds(120)).compactMap { $0 }
        for _ in 0..<1200 where !asyncFinished.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(100)) }
        let asyncDone = asyncFinished.load(ordering: .acquiring)
        try #require(asyncDone, "async committers still suspended: a wake-up was lost")
        try await asyncCommits.value
        #expect(failures.isEmpty, "\(failures.prefix(3))")
        #expect(blocking.notDurableAtReturn == 0)
        try wal.close()
        let (again, events, _) = try openNotes(directory.path)
        #expect(events.count == threads * perThread + tasks * perTask)
        try again.close()
    }
}

/// Blocking commits on real threads, one thread per tag.
private final class BlockingCommits: Sendable {
    private let results = Mutex<[WALError?]>([])
    private let finished = DispatchGroup()
    private let notDurable = Atomic<Int>(0)

    /// Starts one thread per tag, each making `commitsEach` commits; a
    /// thread stops at its first error.
    init(_ wal: WAL<Note>, tags: [UInt16], commitsEach: Int = 1, durability: CommitDurability = .syncMode) {
        for tag in tags {
            finished.enter()
            Thread { [self] in
                var failure: WALError?
                for index in 0..<commitsEach {
                    do {
                        let commit = try wal.commit([Note(tag, "\(index)")], durability: durability)
                        if wal.durableLSN < (commit?.commitLSN ?? LSN(UInt64.max)) { notDurable.add(1, ordering: .relaxed) }
                    } catch {
                        failure = error as? WALError ?? WALError(.io, "\(error)")
                        break
                    }
                }
                results.withLock { $0.append(failure) }
                finished.leave()
            }.start()
        }
    }

    var notDurableAtReturn: Int { notDurable.load(ordering: .relaxed) }

    /// Every thread's error (nil for success), once all have finished.
    /// Throws if one is still blocked after `timeout`: a lost wake-up, which
    /// would also hang the log's close, so the test must stop there.
    func wait(timeout: Duration = .seconds(30)) throws -> [WALError?] {
        let seconds = Double(timeout.components.seconds)
        let outcome = finished.wait(timeout: .now() + seconds)
        try #require(outcome == .success, "committers still blocked after \(timeout): a wake-up was lost")
        return results.withLock { $0 }
    }
}

/// One committer's fsync held at the gate, and `lateCommitters` more asleep
/// registered for the generation after it: the gate is the test's to open.
private struct HeldFsync {
    let directory = TemporaryDirectory()
    let fileSystem = InstrumentedFileSystem()
    let wal: WAL<Note>
    let first: BlockingCommits
    let late: BlockingCommits

    init(lateCommitters: Int, failingFirst: Bool = false) throws {
        (wal, _, _) = try openNotes(directory.path, .instrumented(fileSystem, .always))
        fileSystem.hooks.withLock { $0.failSyncs = failingFirst }
        fileSystem.closeGate()
        first = BlockingCommits(wal, tags: [0])
        fileSystem.waitForSyncAtGate()
        late = BlockingCommits(wal, tags: (1...lateCommitters).map { UInt16($0) })
        try waitUntilRegisteredForNext(lateCommitters, wal)
    }
}

/// Waits until `count` committers are asleep registered for the next generation.
private func waitUntilRegisteredForNext(_ count: Int, _ wal: WAL<Note>) throws {
    for _ in 0..<5000 where wal.engine.progress.withLock({ $0.group.waitingForNext }) < count { usleep(1000) }
    let registered = wal.engine.progress.withLock { $0.group.waitingForNext }
    try #require(registered == count, "\(registered) committers registered for the next fsync, expected \(count)")
}
