import Testing
import WALTestSupport

@testable import WriteAheadLog

/// `openEncoded`: the same transactions as the decoding
/// open, handed over as bytes, with a decoding failure still counted as
/// damage in the log rather than as the consumer's error.
@Suite("Encoded replay")
struct EncodedReplayTests {
    /// An error of the consumer's own, wrapping whatever it caught.
    struct ConsumerWrapped: Error { let underlying: any Error }

    /// Three transactions of strings; the second holds bytes that are not UTF-8.
    func writeLogWithUndecodableEvent(_ directory: String) throws {
        let wal = try WAL<[UInt8]>.open(directory: directory, options: .test()).wal
        try wal.commit([Array("one".utf8), Array("two".utf8)])
        try wal.commit([Array("fine".utf8), [0xFF, 0xFE]])
        try wal.commit([Array("three".utf8)])
        try wal.close()
    }

    /// Opens as strings through the encoded open, decoding every event and
    /// wrapping any error the way a consumer with its own error type would.
    func openEncoded(_ directory: String, _ options: WALOptions) throws -> (WAL<String>, [[String]], ReplayReport) {
        var transactions: [[String]] = []
        let (wal, report) = try WAL<String>.openEncoded(directory: directory, options: options) { transaction in
            var events: [String] = []
            try transaction.forEachEvent { encoded in
                #expect(encoded.index == events.count)
                do { events.append(try encoded.decode(as: String.self)) } catch { throw ConsumerWrapped(underlying: error) }
            }
            #expect(events.count == transaction.eventCount)
            transactions.append(events)
        }
        return (wal, transactions, report)
    }

    /// The WALError `body` throws; nil (and a recorded issue) for anything else.
    func walError(_ body: () throws -> Void) -> WALError? {
        do {
            try body()
            Issue.record("expected a WALError, nothing was thrown")
        } catch let error as WALError {
            return error
        } catch {
            Issue.record("expected a WALError, got \(error)")
        }
        return nil
    }

    @Test("hands over the bytes of every event, in order, with the counts of the decoding open")
    func sameTransactions() throws {
        let directory = TemporaryDirectory()
        let wal = try WAL<String>.open(directory: directory.path, options: .test()).wal
        try wal.commit(["a"])
        try wal.commit(["b", "c", "d"])
        try wal.commit([String(repeating: "é", count: 100_000)])
        try wal.close()
        var bytes: [[UInt8]] = []
        let (encodedWAL, encodedReport) = try WAL<String>.openEncoded(directory: directory.path, options: .test()) {
            try $0.forEachEvent { bytes.append(Array($0.bytes)) }
        }
        try encodedWAL.close()
        let (decodedWAL, events, decodedReport) = try WAL<String>.open(directory: directory.path, options: .test())
        try decodedWAL.close()
        #expect(bytes == events.map { Array($0.utf8) })
        #expect(encodedReport.eventsReplayed == 5)
        #expect(encodedReport.eventsReplayed == decodedReport.eventsReplayed)
        #expect(encodedReport.transactionsReplayed == decodedReport.transactionsReplayed)
    }

    @Test("an event that does not decode is damage in strict mode, as with the decoding open, whatever the consumer wraps it in")
    func strictDecodingFailure() throws {
        let directory = TemporaryDirectory()
        try writeLogWithUndecodableEvent(directory.path)
        let decoding = walError { _ = try WAL<String>.open(directory: directory.path, options: .test()) }
        let encoded = walError { _ = try openEncoded(directory.path, .test()) }
        #expect(decoding != nil)
        #expect(encoded?.code == decoding?.code)
        #expect(encoded?.message == decoding?.message)
        #expect(encoded?.message.contains("UTF-8") == true)
    }

    @Test("salvage stops at an event that does not decode and keeps the transactions before it, as with the decoding open")
    func salvageDecodingFailure() throws {
        let first = TemporaryDirectory()
        let second = TemporaryDirectory()
        try writeLogWithUndecodableEvent(first.path)
        try writeLogWithUndecodableEvent(second.path)
        let (decodedWAL, events, decodedReport) = try WAL<String>.open(directory: first.path, options: .test(recoveryMode: .salvage))
        try decodedWAL.close()
        let (encodedWAL, transactions, encodedReport) = try openEncoded(second.path, .test(recoveryMode: .salvage))
        try encodedWAL.close()
        #expect(events == ["one", "two"])
        #expect(transactions == [["one", "two"]])
        #expect(encodedReport.damage?.lastGoodLSN == decodedReport.damage?.lastGoodLSN)
        #expect(encodedReport.damage != nil)
        #expect(encodedReport.eventsReplayed == 2)
    }

    @Test("an error of the consumer's own stops the open and comes out as it was thrown")
    func consumerError() throws {
        let directory = TemporaryDirectory()
        try writeLogWithUndecodableEvent(directory.path)
        #expect(throws: ConsumerWrapped.self) {
            _ = try WAL<String>.openEncoded(directory: directory.path, options: .test(recoveryMode: .salvage)) { _ in
                throw ConsumerWrapped(underlying: CancellationError())
            }
        }
    }
}
