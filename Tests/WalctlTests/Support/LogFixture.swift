import Foundation
import GraphStore
import WriteAheadLog

/// Builds real logs with the library, then damages them the ways crashes
/// and disks do.
enum LogFixture {
    /// Writes `transactions` committed graph transactions of `eventsPerTransaction`
    /// events each (a createNode, then property sets), then closes the log.
    ///
    /// A small `segmentTargetBytes` makes the log rotate, so it has sealed segments.
    /// Fixtures write with `.writeCalls`, so a segment file ends at its last
    /// record and bytes appended to it are a torn tail; with the default
    /// preallocated segments they would land after the zero tail.
    static func writeGraphLog(
        at directory: String, transactions: Int, eventsPerTransaction: Int = 2, segmentTargetBytes: UInt64 = 64 << 20,
        writeMode: WriteMode = .writeCalls
    ) throws {
        let options = WALOptions(syncMode: .none, segmentTargetBytes: segmentTargetBytes, writeMode: writeMode)
        let (wal, _, _) = try WAL<MutationEvent>.open(directory: directory, options: options)
        var store = GraphStore()
        for index in 0..<transactions {
            var events: [MutationEvent] = []
            let node = try store.createNode(labels: ["Person"], properties: ["name": .string("n\(index)")], events: &events)
            for step in 1..<max(1, eventsPerTransaction) {
                try store.setNodeProperty(node, key: "k\(step)", value: .int(Int64(step)), events: &events)
            }
            try wal.commit(events)
        }
        try wal.close()
    }

    /// Writes every kind of record through the primitives:
    ///
    /// ```
    /// 1 txBegin  2 mutationBatch (3 events)  3 txCommit
    /// 4 txBegin  5 mutation                  6 txCommit
    /// 7 txBegin  8 mutation                  9 txAbort
    /// 10 checkpoint (snapshot LSN 6)
    /// ```
    static func writeMixedLog(at directory: String) throws {
        let (wal, _, _) = try WAL<MutationEvent>.open(directory: directory, options: WALOptions(syncMode: .none, writeMode: .writeCalls))
        var store = GraphStore()
        var events: [MutationEvent] = []
        let node = try store.createNode(labels: ["A"], events: &events)
        try store.setNodeProperty(node, key: "x", value: 1, events: &events)
        try store.addNodeLabel(node, label: "B", events: &events)
        try wal.commit(events)
        let committed = try wal.begin()
        _ = try wal.append(.removeNodeLabel(node: node, label: "B"), to: committed)
        _ = try wal.commit(transaction: committed)
        let aborted = try wal.begin()
        _ = try wal.append(.deleteNode(node: node), to: aborted)
        _ = try wal.abort(aborted)
        _ = try wal.recordCheckpoint(snapshotLSN: LSN(6))
        try wal.close()
    }

    /// Writes opaque byte events no known codec reads, to check the hex fallback.
    static func writeRawLog(at directory: String, events: [[UInt8]]) throws {
        let (wal, _, _) = try WAL<[UInt8]>.open(directory: directory, options: WALOptions(syncMode: .none, writeMode: .writeCalls))
        try wal.commit(events)
        try wal.close()
    }

    /// Every record with its location, as the library's inspector reads it.
    static func records(in directory: String) throws -> [RecordView] {
        var records: [RecordView] = []
        _ = try WALInspector.scan(directory: directory) { records.append($0) }
        return records
    }

    /// Appends bytes that are not a record to the end of the last segment:
    /// what a crash in the middle of a write leaves.
    static func appendGarbage(toLastSegmentIn directory: String, count: Int = 37) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".wal") }.sorted()
        let last = (directory as NSString).appendingPathComponent(try require(names.last, "no segment"))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: last))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) | 1 }))
        try handle.close()
    }

    /// Inverts one byte of a file.
    static func flipByte(in path: String, at offset: UInt64) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: offset)
        let byte = try require(try handle.read(upToCount: 1)?.first, "no byte at offset \(offset) of \(path)")
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data([~byte]))
        try handle.close()
    }

    /// The size of a file.
    static func size(of path: String) throws -> UInt64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try require((attributes[.size] as? NSNumber)?.uint64Value, "no size for \(path)")
    }

    struct Missing: Error, CustomStringConvertible { var description: String }

    static func require<T>(_ value: T?, _ what: String) throws -> T {
        guard let value else { throw Missing(description: what) }
        return value
    }
}
