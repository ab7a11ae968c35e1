import Foundation
import GraphStore
import Synchronization
import Testing
import WALTestSupport
import WriteAheadLog

@testable import GraphDatabase

/// A file that only records the write-back advice it is given.
private final class AdviceRecordingFile: StorageFile {
    let path = "advice"
    let started = Mutex<[Range<UInt64>]>([])
    let dropped = Mutex<[Range<UInt64>]>([])

    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {}
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int { 0 }
    func size() throws -> UInt64 { 0 }
    func sync() throws {}
    func truncate(to size: UInt64) throws {}
    func startWriteBack(_ range: Range<UInt64>) { started.withLock { $0.append(range) } }
    func dropWritten(_ range: Range<UInt64>) { dropped.withLock { $0.append(range) } }
}

@Suite("Write-behind of a snapshot being streamed")
struct WriteBehindTests {
    @Test("windows are handed to write-back in order, without gaps, and each is dropped one window later")
    func windows() {
        let file = AdviceRecordingFile()
        var behind = WriteBehind(file: file)
        // Pieces of uneven sizes, as the snapshot writer produces them, then
        // the header written last at the start of the file.
        var end: UInt64 = 64
        for index in 0..<200 {
            end += UInt64(1 << 20) + UInt64(index % 7) * 4099
            behind.wrote(upTo: end)
        }
        behind.wrote(upTo: 64)
        let started = file.started.withLock { $0 }
        let dropped = file.dropped.withLock { $0 }
        #expect(started.count > 20)
        #expect(started.first?.lowerBound == 0)
        for (earlier, later) in zip(started, started.dropFirst()) {
            #expect(earlier.upperBound == later.lowerBound, "a gap or an overlap between windows")
            #expect(later.count >= Int(WriteBehind.window))
        }
        // Everything handed to write-back but the newest window is dropped.
        #expect(dropped == Array(started.dropLast()))
        // Nothing beyond what was written.
        #expect((started.last?.upperBound ?? 0) <= end)
    }

    @Test("a snapshot written with write-behind reads back exactly, through the database")
    func snapshotRoundTrip() throws {
        let directory = TemporaryDirectory()
        let configuration = GraphDatabaseConfiguration.dataDirectory(directory.child("data"))
        let (database, _) = try GraphDatabase.open(configuration)
        // About 30 MiB of snapshot: several windows.
        let text = String(repeating: "w", count: 3000)
        for start in stride(from: 0, to: 10_000, by: 500) {
            try database.write { transaction in
                for number in start..<(start + 500) {
                    try transaction.createNode(labels: ["Page"], properties: ["n": .int(Int64(number)), "text": .string(text)])
                }
            }
        }
        let checkpoint = try database.checkpoint()
        let size = UInt64(try FileManager.default.attributesOfItem(atPath: checkpoint.path)[.size] as? Int ?? 0)
        #expect(size > 3 * WriteBehind.window)
        let dump = database.snapshot.dump()
        try database.close()
        let (reopened, report) = try GraphDatabase.open(configuration)
        #expect(report.snapshotPath == checkpoint.path)
        #expect(reopened.snapshot.dump() == dump)
        try reopened.close()
    }
}
