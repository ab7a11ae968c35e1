import Foundation
import Testing
import WALTestSupport

@Suite("walctl stats")
struct StatsTests {
    @Test("counts records by kind, transactions, events per transaction and bytes by event kind")
    func counts() throws {
        let directory = TemporaryDirectory("stats")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 10, eventsPerTransaction: 3)
        let result = try Walctl.run("stats", directory.path, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let json = try result.json()
        let records = try #require(json["records"] as? [String: [String: Any]])
        #expect(records["txBegin"]?["count"] as? Int == 10)
        #expect(records["mutationBatch"]?["count"] as? Int == 10)
        #expect(records["txCommit"]?["count"] as? Int == 10)
        #expect(records["checkpoint"]?["count"] as? Int == 0)
        let transactions = try #require(json["transactions"] as? [String: Any])
        #expect(transactions["committed"] as? Int == 10)
        #expect(json["events"] as? Int == 30)
        let perTransaction = try #require(json["eventsPerTransaction"] as? [String: Any])
        #expect(perTransaction["min"] as? Int == 3)
        #expect(perTransaction["max"] as? Int == 3)
        let histogram = try #require(perTransaction["histogram"] as? [[String: Any]])
        #expect(histogram.count == 1)
        #expect(histogram.first?["low"] as? Int == 2)
        #expect(histogram.first?["transactions"] as? Int == 10)
        let kinds = try #require(json["eventBytesByKind"] as? [String: [String: Any]])
        #expect(kinds["createNode"]?["count"] as? Int == 10)
        #expect(kinds["setNodeProperty"]?["count"] as? Int == 20)
    }

    @Test("counts aborted transactions and every record kind")
    func mixed() throws {
        let directory = TemporaryDirectory("stats-mixed")
        try LogFixture.writeMixedLog(at: directory.path)
        let json = try Walctl.run("stats", directory.path, "--json").json()
        #expect(json["complete"] as? Bool == true)
        let records = try #require(json["records"] as? [String: [String: Any]])
        #expect(records["mutation"]?["count"] as? Int == 2)
        #expect(records["txAbort"]?["count"] as? Int == 1)
        #expect(records["checkpoint"]?["count"] as? Int == 1)
        let transactions = try #require(json["transactions"] as? [String: Any])
        #expect(transactions["committed"] as? Int == 2)
        #expect(transactions["aborted"] as? Int == 1)
        let perTransaction = try #require(json["eventsPerTransaction"] as? [String: Any])
        #expect(perTransaction["min"] as? Int == 1)
        #expect(perTransaction["max"] as? Int == 3)
    }

    @Test("prints readable tables")
    func text() throws {
        let directory = TemporaryDirectory("stats-text")
        try LogFixture.writeRawLog(at: directory.path, events: [[1, 2], [3]])
        let result = try Walctl.run("stats", directory.path)
        #expect(result.status == 0)
        #expect(result.stdout.contains("transactions: 1 committed, 0 aborted, 0 incomplete; 2 events"))
        #expect(result.stdout.contains("raw"))
    }
}
