import Foundation
import Testing
import WriteAheadLog
import WALTestSupport

@Suite("walctl dump")
struct DumpTests {
    @Test("prints one line per record with graph events decoded")
    func text() throws {
        let directory = TemporaryDirectory("dump-text")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 2, eventsPerTransaction: 2)
        let result = try Walctl.run("dump", directory.path)
        #expect(result.status == 0)
        #expect(result.lines.count == 6)
        #expect(result.lines[0].hasPrefix("lsn=1 kind=txBegin tx=1 segment=1 offset=32"))
        #expect(result.lines[1].hasPrefix("lsn=2 kind=mutationBatch tx=1"))
        #expect(result.lines[1].contains("events=2: createNode(id: 0, labels: [\"Person\"], properties: {\"name\": \"n0\"})"))
        #expect(result.lines[1].contains(" | setNodeProperty(node: 0, key: \"k1\", value: 1)"))
        #expect(result.lines[2].hasPrefix("lsn=3 kind=txCommit tx=1"))
    }

    @Test("shows every record kind: single mutations, aborts and checkpoints")
    func everyKind() throws {
        let directory = TemporaryDirectory("dump-kinds")
        try LogFixture.writeMixedLog(at: directory.path)
        let result = try Walctl.run("dump", directory.path, "--from", "5")
        #expect(result.status == 0)
        #expect(result.lines.count == 6)
        #expect(result.lines[0].hasPrefix("lsn=5 kind=mutation tx=4"))
        #expect(result.lines[0].hasSuffix("events=1: removeNodeLabel(node: 0, label: \"B\")"))
        #expect(result.lines[4].hasPrefix("lsn=9 kind=txAbort tx=7"))
        #expect(result.lines[5].hasPrefix("lsn=10 kind=checkpoint snapshot=6"))
    }

    @Test("--format jsonl gives one JSON object per line, only within --from and --to")
    func jsonlRange() throws {
        let directory = TemporaryDirectory("dump-jsonl")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 5)
        let result = try Walctl.run("dump", directory.path, "--from", "4", "--to", "8", "--format", "jsonl")
        #expect(result.status == 0)
        let objects = try result.lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        #expect(objects.compactMap { $0["lsn"] as? Int } == [4, 5, 6, 7, 8])
        let batch = try #require(objects.first { $0["kind"] as? String == "mutationBatch" })
        let events = try #require(batch["events"] as? [[String: Any]])
        #expect(events.first?["codec"] as? String == "graph")
        #expect(events.first?["type"] as? String == "createNode")
    }

    @Test("shows events no known codec reads as raw hex")
    func hexFallback() throws {
        let directory = TemporaryDirectory("dump-hex")
        try LogFixture.writeRawLog(at: directory.path, events: [[0xDE, 0xAD, 0xBE, 0xEF], [0x00]])
        let result = try Walctl.run("dump", directory.path, "--format", "jsonl")
        #expect(result.status == 0)
        #expect(result.stdout.contains("\"hex\":\"deadbeef\""))
        #expect(result.stdout.contains("\"hex\":\"00\""))
        let text = try Walctl.run("dump", directory.path)
        #expect(text.stdout.contains("events=2: hex:deadbeef | hex:00"))
    }

    @Test("--raw prints graph events as hex too")
    func rawFlag() throws {
        let directory = TemporaryDirectory("dump-raw")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 1, eventsPerTransaction: 1)
        let result = try Walctl.run("dump", directory.path, "--raw")
        #expect(result.status == 0)
        #expect(result.stdout.contains("hex:01"))
        #expect(!result.stdout.contains("createNode"))
    }

    @Test("prints the records before damage, then names it and exits 2")
    func stopsAtDamage() throws {
        let directory = TemporaryDirectory("dump-damage")
        try LogFixture.writeGraphLog(at: directory.path, transactions: 6)
        let records = try LogFixture.records(in: directory.path)
        let victim = records[6]  // the begin of the third transaction
        try LogFixture.flipByte(in: victim.location.path, at: victim.location.offset + 8)
        let result = try Walctl.run("dump", directory.path)
        #expect(result.status == 2)
        #expect(result.lines.count == 6)
        #expect(result.stderr.contains(victim.location.path))
        #expect(result.stderr.contains("offset \(victim.location.offset)"))
    }

    @Test("refuses --from above --to with one line and exit 64")
    func badRange() throws {
        let directory = TemporaryDirectory("dump-range")
        let result = try Walctl.run("dump", directory.path, "--from", "9", "--to", "3")
        #expect(result.status == 64)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stdout.isEmpty)
    }
}
