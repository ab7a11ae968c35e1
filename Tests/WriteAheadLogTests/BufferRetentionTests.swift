import Foundation
import Testing
import WALTestSupport

@testable import WriteAheadLog

/// The log's buffers after a large transaction, written or refused: the
/// memory it took is given back once the bytes reach the kernel, not held
/// until the log closes.
@Suite("Buffer retention")
struct BufferRetentionTests {
    /// How much buffer capacity the log holds, in both of its buffers.
    static func heldCapacity(_ wal: WAL<Note>) -> Int {
        wal.engine.append.withLock { $0.buffer.capacity } + wal.engine.writer.withLock { $0.spare.capacity }
    }

    @Test(
        "after a large transaction, written or refused, the log holds no more than a small buffer",
        arguments: [32 << 20, RecordFrame.maximumSize])
    func largeTransactionReleased(bytes: Int) throws {
        let directory = TemporaryDirectory()
        let (wal, _, _) = try openNotes(directory.path, .test(.groupSync(interval: .seconds(60)), segmentTargetBytes: 8 << 20))
        let big = String(decoding: [UInt8](repeating: UInt8(ascii: "n"), count: bytes), as: UTF8.self)
        if bytes >= RecordFrame.maximumSize {
            expectWALError(.tooLarge) { try wal.commit([Note(1, big)]) }
        } else {
            try wal.commit([Note(1, big)])
        }
        // At once, with nothing committed after it,
        #expect(Self.heldCapacity(wal) <= 2 * LogEngine.keptBufferCapacity, "\(Self.heldCapacity(wal)) bytes held")
        // and after the log has gone on.
        try wal.commit([Note(2, "small")])
        try wal.flush()
        #expect(Self.heldCapacity(wal) <= 2 * LogEngine.keptBufferCapacity, "\(Self.heldCapacity(wal)) bytes held")
        try wal.close()
        let (reopened, replayed, _) = try openNotes(directory.path, .test())
        #expect(replayed.map(\.tag) == (bytes >= RecordFrame.maximumSize ? [2] : [1, 2]))
        try reopened.close()
    }
}
