import Foundation
import Testing

@testable import WriteAheadLog

/// The second, trivial event type the log is proven with: a tagged note.
struct Note: WALEvent, Equatable, CustomStringConvertible {
    var tag: UInt16
    var text: String

    init(_ tag: UInt16, _ text: String) {
        self.tag = tag
        self.text = text
    }

    func encode(into buffer: inout [UInt8]) throws {
        buffer.appendLittleEndian(tag)
        buffer.appendLengthPrefixed(text)
    }

    init(from reader: inout ByteReader) throws {
        tag = try reader.read(UInt16.self)
        text = try reader.readString()
    }

    var description: String { "\(tag):\(text)" }
}

extension WALOptions {
    static func test(
        _ syncMode: SyncMode = .none, segmentTargetBytes: UInt64 = 1 << 20, recoveryMode: RecoveryMode = .strict
    ) -> WALOptions {
        WALOptions(syncMode: syncMode, segmentTargetBytes: segmentTargetBytes, recoveryMode: recoveryMode)
    }
}

/// Reads, changes and writes segment files directly.
enum SegmentFiles {
    static func read(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func append(_ bytes: [UInt8], to path: String) throws {
        try write(try read(path) + bytes, to: path)
    }

    /// Where the records of a segment end (preallocated zeros may follow).
    static func endOfRecords(_ path: String) throws -> Int {
        try records(of: path).last.map { $0.offset + $0.frame.size } ?? SegmentHeader.size
    }

    /// Writes `bytes` right after the last record, where a torn write lands.
    static func writeAfterRecords(_ bytes: [UInt8], in path: String) throws {
        var contents = try read(path)
        let end = try endOfRecords(path)
        if contents.count < end + bytes.count { contents += [UInt8](repeating: 0, count: end + bytes.count - contents.count) }
        contents.replaceSubrange(end..<(end + bytes.count), with: bytes)
        try write(contents, to: path)
    }

    /// Cuts a segment to its records and rewrites its header as sealed, as rotation does.
    static func sealByHand(_ path: String, baseLSN: LSN) throws {
        var bytes = Array(try read(path).prefix(try endOfRecords(path)))
        bytes.replaceSubrange(0..<SegmentHeader.size, with: SegmentHeader(baseLSN: baseLSN, isSealed: true).bytes)
        try write(bytes, to: path)
    }

    static func flipBit(_ bit: Int, atByte offset: Int, of path: String) throws {
        var bytes = try read(path)
        bytes[offset] ^= UInt8(1 << bit)
        try write(bytes, to: path)
    }

    static func segmentPath(_ directory: String, _ id: UInt64) -> String {
        directory + "/" + SegmentID(id).fileName
    }

    /// The offsets and frames of every record of a segment file.
    /// With `stoppingAtZeros`, a zero length field ends the list (preallocated space).
    static func records(of path: String, stoppingAtZeros: Bool = true) throws -> [(offset: Int, frame: RecordFrame)] {
        let bytes = try read(path)
        var result: [(Int, RecordFrame)] = []
        var offset = SegmentHeader.size
        try bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                let parse = RecordCodec.parse(raw, at: offset)
                if stoppingAtZeros, parse == .zeros { break }
                guard case .record(let frame) = parse else {
                    throw WALError(.corruption, "unexpected bytes at \(offset) while listing test records")
                }
                result.append((offset, frame))
                offset += frame.size
            }
        }
        return result
    }
}

/// Builds a segment file record by record, to craft logs that the WAL
/// itself would never write.
struct SegmentBuilder {
    var bytes: [UInt8]

    init(baseLSN: LSN, sealed: Bool = false, version: UInt16 = SegmentHeader.currentVersion) {
        bytes = SegmentHeader(baseLSN: baseLSN, isSealed: sealed, version: version).bytes
    }

    mutating func record(_ kind: RecordKind, _ lsn: UInt64, tx: UInt64, events: [Note] = []) throws {
        try RecordCodec.append(kind: kind, lsn: LSN(lsn), txBeginLSN: LSN(tx), to: &bytes) { buffer in
            switch kind {
            case .mutation: try events[0].encode(into: &buffer)
            case .mutationBatch: try RecordCodec.appendBatchPayload(events, to: &buffer)
            default: break
            }
        }
    }

    /// begin(lsn), batch(lsn+1), commit(lsn+2).
    mutating func transaction(at lsn: UInt64, _ events: [Note]) throws {
        try record(.txBegin, lsn, tx: lsn)
        try record(.mutationBatch, lsn + 1, tx: lsn, events: events)
        try record(.txCommit, lsn + 2, tx: lsn)
    }

    func write(to directory: String, id: UInt64) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try SegmentFiles.write(bytes, to: SegmentFiles.segmentPath(directory, id))
    }
}

/// Opens a log of notes and returns the handle and the recovered notes.
func openNotes(
    _ directory: String, _ options: WALOptions = .test(), fence: LSN = .none
) throws -> (WAL<Note>, [Note], ReplayReport) {
    let (wal, events, report) = try WAL<Note>.open(directory: directory, options: options, fence: fence)
    return (wal, events, report)
}

/// Expects `body` to throw a `WALError` with `code`, and returns it.
@discardableResult
func expectWALError(
    _ code: WALError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) -> WALError? {
    do {
        try body()
        Issue.record("expected a \(code) error, but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as WALError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected a WALError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Runs a command and returns its exit status.
func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}
