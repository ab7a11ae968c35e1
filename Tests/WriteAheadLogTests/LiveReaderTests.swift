import Foundation
import Synchronization
import Testing
import WALTestSupport

@testable import WriteAheadLog

@Suite("Reading a log that another handle is writing")
struct LiveReaderTests {
    /// Writes `count` one-note transactions to preallocated segments and
    /// closes; returns the segment path and where its records end.
    func writePreallocatedLog(_ path: String, count: Int) throws -> (segment: String, recordsEnd: UInt64) {
        let (wal, _, _) = try openNotes(path, .test(.groupSync(interval: .milliseconds(50))))
        for index in 0..<count { try wal.commit([Note(UInt16(index), "note \(index)")]) }
        try wal.close()
        let segment = SegmentFiles.segmentPath(path, 1)
        #expect(try LogFixtureSize.of(segment) > UInt64(try SegmentFiles.endOfRecords(segment)))
        return (segment, UInt64(try SegmentFiles.endOfRecords(segment)))
    }

    @Test("a segment cut to its written end while a reader scans it ends the scan cleanly")
    func segmentShrinksToItsRecords() throws {
        let directory = TemporaryDirectory()
        let (segment, end) = try writePreallocatedLog(directory.path, count: 5)
        // A rotation cuts the preallocated segment right after the reader took its size.
        let fileSystem = ScriptedFileSystem(ScriptedFileSystem.Script(readCallCap: 10_000, shrink: (segment, end)))
        var events: [Note] = []
        let report = try WAL<Note>.replay(directory: directory.path, fileSystem: fileSystem) { events += $0.events }
        #expect(events == (0..<5).map { Note(UInt16($0), "note \($0)") })
        #expect(report.tornTail == nil)
        #expect(fileSystem.readCalls < 100)
    }

    @Test("a segment cut inside its last record while a reader scans it ends in a torn tail")
    func segmentShrinksIntoARecord() throws {
        let directory = TemporaryDirectory()
        let (segment, end) = try writePreallocatedLog(directory.path, count: 5)
        let lastRecord = try #require(try SegmentFiles.records(of: segment).last)
        let fileSystem = ScriptedFileSystem(ScriptedFileSystem.Script(readCallCap: 10_000, shrink: (segment, end - 10)))
        var events: [Note] = []
        let report = try WAL<Note>.replay(directory: directory.path, fileSystem: fileSystem) { events += $0.events }
        #expect(events == (0..<4).map { Note(UInt16($0), "note \($0)") })
        #expect(report.tornTail?.offset == UInt64(lastRecord.offset))
        #expect(fileSystem.readCalls < 100)
    }

    @Test("replay and inspection run against a writer that commits and rotates: no error, a prefix of the commits", arguments: [SyncMode.groupSync(interval: .milliseconds(2)), .always])
    func readersOfALiveLog(syncMode: SyncMode) throws {
        let directory = TemporaryDirectory()
        let planned = (0..<600).map { Note(UInt16($0), "live note \($0) " + String(repeating: "x", count: $0 % 97)) }
        let (wal, _, _) = try openNotes(directory.path, .test(syncMode, segmentTargetBytes: 4096))
        let started = Atomic<Int>(0)
        let writerDone = Atomic<Bool>(false)
        let writer = Thread {
            for note in planned {
                started.add(1, ordering: .sequentiallyConsistent)
                do { try wal.commit([note]) } catch {
                    Issue.record("commit failed: \(error)")
                    break
                }
            }
            writerDone.store(true, ordering: .sequentiallyConsistent)
        }
        writer.start()

        let path = directory.path
        let failures = Mutex<[String]>([])
        let finished = DispatchSemaphore(value: 0)
        let reader = Thread {
            var rounds = 0
            while !writerDone.load(ordering: .sequentiallyConsistent) || rounds < 2 {
                rounds += 1
                do {
                    // The cap turns a scan that loops into a failure instead of a hang.
                    let fileSystem = ScriptedFileSystem(ScriptedFileSystem.Script(readCallCap: 100_000))
                    var events: [Note] = []
                    _ = try WAL<Note>.replay(directory: path, fileSystem: fileSystem) { events += $0.events }
                    let upper = started.load(ordering: .sequentiallyConsistent)
                    if events.count > upper || events != Array(planned.prefix(events.count)) {
                        failures.withLock { $0.append("replay returned \(events.count) notes, not a prefix of the \(upper) begun") }
                    }
                    var commits = 0
                    _ = try WALInspector.scan(directory: path) { record in
                        if record.kind == .txCommit { commits += 1 }
                    }
                    if commits > started.load(ordering: .sequentiallyConsistent) {
                        failures.withLock { $0.append("inspection saw \(commits) commits, more than were begun") }
                    }
                } catch {
                    failures.withLock { $0.append("round \(rounds): \(error)") }
                }
            }
            finished.signal()
        }
        reader.start()
        let returned = finished.wait(timeout: .now() + 300) == .success
        #expect(returned, "the reader did not return: a scan loops on the live log")
        try wal.close()
        let seen = failures.withLock { $0 }
        #expect(seen.isEmpty, "\(seen.prefix(5))")
    }
}
