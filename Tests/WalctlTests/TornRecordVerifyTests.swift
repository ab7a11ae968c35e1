import Foundation
import Testing
import WriteAheadLog
import WALTestSupport

@Suite("walctl verify on a large torn record")
struct TornRecordVerifyTests {
    /// A log of one small transaction and one with a 1 MiB event of little
    /// integers, written to a preallocated segment whose last page of the
    /// big record never reached the disk (zeros, as the rest of the segment).
    static func writeTornLog(at directory: String) throws -> (path: String, offset: UInt64) {
        var payload: [UInt8] = []
        var index: UInt32 = 0
        while payload.count < 1 << 20 {
            let value = 25 + (index &* 7919) % 60_000
            payload += [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), 0, 0]
            index += 1
        }
        let options = WALOptions(syncMode: .none, segmentTargetBytes: 4 << 20, writeMode: .mappedSegments)
        let (wal, _, _) = try WAL<[UInt8]>.open(directory: directory, options: options)
        try wal.commit([[1, 2, 3]])
        try wal.commit([payload])
        try wal.close()
        let records = try LogFixture.records(in: directory)
        let batch = records[records.count - 2]
        let end = batch.location.offset + UInt64(batch.size)
        let lastPage = (end - 1) / 4096 * 4096
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: batch.location.path))
        try handle.seek(toOffset: lastPage)
        try handle.write(contentsOf: Data(count: Int(end - lastPage) + 64))
        try handle.close()
        return (batch.location.path, batch.location.offset)
    }

    @Test("reports a torn 1 MiB record as a torn tail, naming file and offset")
    func tornMebibyteRecord() throws {
        let directory = TemporaryDirectory("verify-torn-mib")
        let (segment, offset) = try Self.writeTornLog(at: directory.path)
        let result = try Walctl.run("verify", directory.path)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("  torn-tail: \(segment) offset \(offset) LSN 4:"), "\(result.stdout)")
    }
}
