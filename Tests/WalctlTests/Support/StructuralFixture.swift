import Foundation
import WriteAheadLog

/// Hand-made segments whose records are well formed but break a rule, the
/// kind of lie only the structural checks catch.
enum StructuralFixture {
    /// Writes a log of one segment holding a single commit record whose
    /// transaction never began.
    static func writeOrphanCommit(in directory: String) throws {
        var bytes = SegmentHeader(baseLSN: 1).bytes
        bytes += record(kind: .txCommit, lsn: 1, txBeginLSN: 7)
        let path = (directory as NSString).appendingPathComponent(SegmentID(1).fileName)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// One record framed as docs/FORMAT.md describes: length, kind, LSN,
    /// owning transaction, payload, CRC-32C.
    static func record(kind: RecordKind, lsn: UInt64, txBeginLSN: UInt64, payload: [UInt8] = []) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendLittleEndian(UInt32(RecordFrame.minimumSize + payload.count))
        bytes.append(kind.rawValue)
        bytes.appendLittleEndian(lsn)
        bytes.appendLittleEndian(txBeginLSN)
        bytes += payload
        bytes.appendLittleEndian(CRC32C.checksum(bytes))
        return bytes
    }
}
