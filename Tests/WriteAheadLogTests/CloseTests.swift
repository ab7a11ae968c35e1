import Foundation
import Synchronization
import Testing
import WALTestSupport

@testable import WriteAheadLog

@Suite("Closing the log")
struct CloseTests {
    @Test("after close, flush, sync, durable waits and commits fail with closed", arguments: [SyncMode.none, .always, .groupSync(interval: .milliseconds(5))])
    func callsAfterClose(syncMode: SyncMode) async throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.path, .test(syncMode))
        let commit = try #require(try await wal.commit([Note(1, "before close")]))
        try wal.close()
        expectWALError(.closed) { try wal.flush() }
        expectWALError(.closed) { try wal.sync() }
        expectWALError(.closed) { try wal.waitUntilDurable(commit.commitLSN) }
        expectWALError(.closed) { try wal.commit([Note(2, "after close")]) }
        do {
            try await wal.waitUntilDurable(commit.commitLSN)
            Issue.record("an async durable wait after close did not fail")
        } catch let error as WALError {
            #expect(error.code == .closed, "\(error)")
        }
        do {
            try await wal.commit([Note(3, "async, after close")])
            Issue.record("an async commit after close did not fail")
        } catch let error as WALError {
            #expect(error.code == .closed, "\(error)")
        }
    }

    @Test("a close that runs while another is flushing returns only once the lock is released")
    func concurrentClose() throws {
        let directory = TemporaryDirectory()
        let fileSystem = InstrumentedFileSystem()
        let (wal, _, _) = try WAL<Note>.open(directory: directory.path, options: .instrumented(fileSystem, .none))
        try wal.commit([Note(1, "pending until close")])
        fileSystem.closeGate()
        let first = Thread { try? wal.close() }
        first.start()
        fileSystem.waitForSyncAtGate()

        let path = directory.path
        let reopened = Mutex<Result<Void, any Error>?>(nil)
        let secondDone = DispatchSemaphore(value: 0)
        let second = Thread {
            try? wal.close()
            // Right after close returns, the directory is free for the next open.
            reopened.withLock { $0 = Result { try openNotes(path).0.close() } }
            secondDone.signal()
        }
        second.start()
        // Give the second close every chance to return early, then let the first finish.
        usleep(200_000)
        fileSystem.openGate()
        #expect(secondDone.wait(timeout: .now() + 60) == .success)
        switch reopened.withLock({ $0 }) {
        case .success?: break
        case .failure(let error)?: Issue.record("reopening right after the second close failed: \(error)")
        case nil: Issue.record("the second close did not return")
        }
    }

    @Test("a group-sync interval too large for the clock is clamped, not a trap", arguments: [Duration.seconds(Int64.max), .seconds(100 * 365 * 86_400)])
    func hugeGroupSyncInterval(interval: Duration) throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.path, .test(.groupSync(interval: interval)))
        try wal.commit([Note(1, "a commit")])
        #expect(!"\(wal.syncMode)".isEmpty)
        try wal.close()
        let (again, events, _) = try openNotes(directory.path)
        #expect(events == [Note(1, "a commit")])
        try again.close()
    }
}
