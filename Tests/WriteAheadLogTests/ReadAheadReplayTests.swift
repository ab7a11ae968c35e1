import Foundation
import Synchronization
import Testing
import WALTestSupport

@testable import WriteAheadLog

/// Replay reading ahead on a second thread hands the consumer exactly what
/// the single-threaded replay does: the same transactions, progress notes,
/// report or error, in the same order, on the calling thread; whatever the
/// log holds (damage, a torn tail, an event that does not decode) and
/// whatever the consumer does (throw part way).
///
/// The two are run directly (`ReadAheadReplay.run` against
/// `replayEncoded(readsAhead: false)`), so the read-ahead path is taken
/// whatever the machine's processor count. The logs are several times a
/// read-ahead batch, so the queue fills and the reader waits.
@Suite("Read-ahead replay")
struct ReadAheadReplayTests {
    /// What a replay handed over and reported, one line per thing, in order.
    final class Transcript: Sendable {
        private let lines = Mutex<[String]>([])
        func note(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    struct ConsumerStop: Error {}

    enum Way: CaseIterable { case singleThreaded, readingAhead }

    /// The consumer's behaviour.
    enum Consumer {
        /// Takes the bytes.
        case accept
        /// Decodes every event as a string (so bytes that are not UTF-8 are damage).
        case decodeStrings
        /// Throws an error of its own at the transaction with this index.
        case throwAt(Int)
    }

    /// Replays `path` one way and writes down everything that came out.
    func transcript(
        of path: String, _ way: Way, mode: RecoveryMode, fence: LSN = .none, skipsCovered: Bool = false,
        position: LogPosition? = nil, consumer: Consumer = .accept
    ) -> [String] {
        let transcript = Transcript()
        let caller = pthread_self()
        func onCallingThread() -> String { pthread_equal(pthread_self(), caller) != 0 ? "" : " (on another thread)" }
        let directory = SegmentDirectory(root: path, fileSystem: PosixFileSystem())
        var delivered = 0
        let progress: (ReplayProgress) -> Void = { note in
            transcript.note("progress \(note.scannedBytes)/\(note.totalBytes)\(onCallingThread())")
        }
        let deliver: (EncodedTransaction) throws -> Void = { transaction in
            if case .throwAt(let index) = consumer, index == delivered { throw ConsumerStop() }
            var sizes: [Int] = []
            var checksum: UInt32 = 0
            try transaction.forEachEvent { event in
                sizes.append(event.bytes.count)
                checksum ^= CRC32C.checksum(event.bytes) &+ UInt32(truncatingIfNeeded: event.index)
                if case .decodeStrings = consumer { _ = try event.decode(as: String.self) }
            }
            transcript.note(
                "transaction \(transaction.beginLSN)...\(transaction.commitLSN): \(transaction.eventCount) events, sizes \(sizes), checksum \(checksum)\(onCallingThread())"
            )
            delivered += 1
        }
        do {
            let report: ReplayReport
            switch way {
            case .singleThreaded:
                report = try replayEncoded(
                    directory, fence: fence, mode: mode, progress: progress, skipsCoveredSegments: skipsCovered,
                    fencePosition: position, readsAhead: false, deliver)
            case .readingAhead:
                let replay = ReadAheadReplay(
                    directory: directory, fence: fence, mode: mode, readsWithoutLock: false,
                    skipsCoveredSegments: skipsCovered, fencePosition: position)
                report = try replay.run(progress: progress, deliver)
            }
            transcript.note("report \(report)")
        } catch let error as WALError {
            transcript.note("WALError \(error.code) \(error.message) at \(error.path ?? "-") offset \(error.offset.map(String.init) ?? "-") LSN \(error.lsn.map { "\($0)" } ?? "-")")
        } catch {
            transcript.note("error \(error)")
        }
        return transcript.all
    }

    /// Both ways give the same transcript; returns it.
    @discardableResult
    func expectSameTranscript(
        _ path: String, mode: RecoveryMode, fence: LSN = .none, skipsCovered: Bool = false, position: LogPosition? = nil,
        consumer: Consumer = .accept, sourceLocation: SourceLocation = #_sourceLocation
    ) -> [String] {
        let single = transcript(
            of: path, .singleThreaded, mode: mode, fence: fence, skipsCovered: skipsCovered, position: position, consumer: consumer)
        let ahead = transcript(
            of: path, .readingAhead, mode: mode, fence: fence, skipsCovered: skipsCovered, position: position, consumer: consumer)
        #expect(single.count == ahead.count, sourceLocation: sourceLocation)
        if let first = zip(single, ahead).map({ $0 != $1 }).firstIndex(of: true) {
            Issue.record("the transcripts differ at line \(first):\n\(single[first])\n\(ahead[first])", sourceLocation: sourceLocation)
        }
        #expect(!single.contains { $0.contains("on another thread") }, sourceLocation: sourceLocation)
        return single
    }

    /// A log of a few thousand transactions in 1 MiB segments, about 8 MiB
    /// in all: single events and batches of random sizes, aborted and
    /// interleaved transactions, checkpoint markers, and one event of
    /// 1.5 MiB (more than a read-ahead batch on its own). Returns the
    /// commit LSNs, and those of them with no other transaction open (a
    /// checkpoint could be taken there) with their positions. With `undecodableAt`, that
    /// transaction's second event is not UTF-8.
    @discardableResult
    func writeMixedLog(
        _ path: String, seed: UInt64, undecodableAt: Int? = nil
    ) throws -> (commits: [LSN], boundaries: [LSN], positions: [LSN: LogPosition]) {
        var random = SeededGenerator(seed: seed)
        let wal = try WAL<[UInt8]>.open(directory: path, options: .test(segmentTargetBytes: 1 << 20)).wal
        func event(_ size: Int) -> [UInt8] {
            let start = UInt8.random(in: 0x20...0x7E, using: &random)
            return [UInt8](repeating: start, count: size)
        }
        var commits: [LSN] = []
        var boundaries: [LSN] = []
        var positions: [LSN: LogPosition] = [:]
        for index in 0..<4_000 {
            if index == undecodableAt {
                commits.append(try wal.commit([event(10), [0xFF, 0xFE], event(10)])!.commitLSN)
                continue
            }
            switch index % 10 {
            case 3:
                let aborted = try wal.begin()
                _ = try wal.append(event(40), to: aborted)
                _ = try wal.abort(aborted)
            case 5:
                let first = try wal.begin()
                let second = try wal.begin()
                _ = try wal.append(event(30), to: first)
                _ = try wal.appendBatch([event(20), event(25)], to: second)
                commits.append(try wal.commit(transaction: second))
                commits.append(try wal.commit(transaction: first))
            case 7 where index % 500 == 7:
                if let last = commits.last { _ = try wal.recordCheckpoint(snapshotLSN: last) }
            default:
                let events = (0..<Int.random(in: 1...4, using: &random)).map { _ in event(Int.random(in: 0...4_000, using: &random)) }
                commits.append(try wal.commit(events)!.commitLSN)
                boundaries.append(commits[commits.count - 1])
                positions[commits[commits.count - 1]] = wal.position(of: commits[commits.count - 1])
            }
            if index == 2_000 { commits.append(try wal.commit([event(1_536 << 10)])!.commitLSN) }
        }
        try wal.close()
        return (commits, boundaries, positions)
    }

    func segmentPaths(_ path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".wal") }.sorted().map { path + "/" + $0 }
    }

    @Test("a clean log: the same transactions, progress notes and report, with and without a fence")
    func cleanLog() throws {
        let directory = TemporaryDirectory()
        let (commits, boundaries, positions) = try writeMixedLog(directory.path, seed: 1)
        #expect(try segmentPaths(directory.path).count >= 6)
        for mode in RecoveryMode.allCases {
            let lines = expectSameTranscript(directory.path, mode: mode)
            #expect(lines.filter { $0.hasPrefix("transaction") }.count == commits.count)
            #expect(lines.filter { $0.hasPrefix("progress") }.count >= 6)
            for fence in [boundaries[boundaries.count / 3], boundaries[boundaries.count - 2]] {
                let fenced = expectSameTranscript(directory.path, mode: mode, fence: fence, skipsCovered: true)
                #expect(fenced.filter { $0.hasPrefix("transaction") }.count == commits.filter { $0 > fence }.count)
                expectSameTranscript(directory.path, mode: mode, fence: fence, skipsCovered: false)
                // From the fence's position: the same transactions again, fewer bytes read.
                let positioned = expectSameTranscript(
                    directory.path, mode: mode, fence: fence, skipsCovered: true, position: positions[fence])
                #expect(positioned.filter { $0.hasPrefix("transaction") } == fenced.filter { $0.hasPrefix("transaction") })
                #expect(positioned.last?.contains("fencePosition: WriteAheadLog.FencePositionUse.used") == true, "\(positioned.last ?? "")")
            }
        }
    }

    @Test("a byte changed anywhere in the log: the same transactions before it, and the same error or damage report")
    func damagedLogs() throws {
        let clean = TemporaryDirectory()
        try writeMixedLog(clean.path, seed: 2)
        var random = SeededGenerator(seed: 20)
        var refusals = 0
        for _ in 0..<6 {
            let directory = TemporaryDirectory()
            try FileManager.default.removeItem(atPath: directory.path)
            try FileManager.default.copyItem(atPath: clean.path, toPath: directory.path)
            let segments = try segmentPaths(directory.path)
            let victim = segments[Int.random(in: 0..<segments.count, using: &random)]
            var bytes = try SegmentFiles.read(victim)
            let offset = Int.random(in: SegmentHeader.size..<bytes.count, using: &random)
            bytes[offset] ^= 0x5A
            try SegmentFiles.write(bytes, to: victim)
            for mode in RecoveryMode.allCases {
                let lines = expectSameTranscript(directory.path, mode: mode)
                if lines.last?.hasPrefix("WALError") == true { refusals += 1 }
                // Salvage never refuses for damage; it reports it.
                #expect(mode == .strict || lines.last?.hasPrefix("report") == true)
            }
        }
        // Most changed bytes land in records of sealed segments: strict refuses.
        #expect(refusals >= 3)
    }

    @Test("a torn tail of the last segment: the same transactions and the same torn tail")
    func tornTail() throws {
        let directory = TemporaryDirectory()
        try writeMixedLog(directory.path, seed: 3)
        // Cut inside the last segment's records, not in its preallocated zeros.
        let report = try WAL<[UInt8]>.replay(directory: directory.path) { _ in }
        let last = try #require(report.segments.last)
        let bytes = try SegmentFiles.read(last.path)
        try SegmentFiles.write(Array(bytes.prefix(Int(last.validBytes) - 37)), to: last.path)
        for mode in RecoveryMode.allCases {
            let lines = expectSameTranscript(directory.path, mode: mode)
            #expect(lines.last?.contains("tornTail: Optional") == true)
        }
    }

    @Test("an event that does not decode, past the first batches: damage at its commit, judged where the single-threaded replay judges it")
    func undecodableEvent() throws {
        let directory = TemporaryDirectory()
        let commits = try writeMixedLog(directory.path, seed: 4, undecodableAt: 3_000).commits
        for mode in RecoveryMode.allCases {
            let lines = expectSameTranscript(directory.path, mode: mode, consumer: .decodeStrings)
            let delivered = lines.filter { $0.hasPrefix("transaction") }.count
            // Everything committed before the bad transaction, nothing after it.
            #expect(delivered > 2_000)
            #expect(delivered < commits.count)
            if mode == .strict {
                #expect(lines.last?.hasPrefix("WALError eventDecoding") == true)
            } else {
                #expect(lines.last?.contains("damage: Optional") == true)
            }
        }
    }

    @Test("the consumer throws part way: its own error comes out, after the same transactions, and the reader stops")
    func consumerThrows() throws {
        let directory = TemporaryDirectory()
        try writeMixedLog(directory.path, seed: 5)
        for index in [0, 1, 700, 3_000] {
            let lines = expectSameTranscript(directory.path, mode: .salvage, consumer: .throwAt(index))
            #expect(lines.filter { $0.hasPrefix("transaction") }.count == index)
            #expect(lines.last?.hasPrefix("error ConsumerStop") == true)
        }
    }
}
