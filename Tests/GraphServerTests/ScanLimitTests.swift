import Foundation
import GraphServerCore
import Testing

@Suite("Scan limits")
struct ScanLimitTests {
    @Test("a property filter examines at most --max-scan nodes per request and hands back a cursor to continue")
    func nodeScan() async throws {
        try await TestServer.make { $0.limits.maxScan = 10 }.run { client in
            // 25 nodes; only the 3rd and the 23rd carry the property.
            var ops: [String] = []
            for index in 0..<25 {
                ops.append(index == 2 || index == 22 ? #"{"op": "createNode", "properties": {"k": 1}}"# : #"{"op": "createNode"}"#)
            }
            #expect(try await client.tx("[" + ops.joined(separator: ",") + "]").status == 200)
            var found: [Int64] = []
            var after: Int64?
            var requests = 0
            repeat {
                let page = try await client.get("/nodes?key=k&value=1&limit=5" + (after.map { "&after=\($0)" } ?? "")).json
                found += page["nodes"]?.array?.compactMap { $0["id"]?.int } ?? []
                after = page["next"]?.int
                requests += 1
            } while after != nil && requests < 10
            #expect(found == [2, 22])
            #expect(requests == 3, "10 nodes examined per request: 0-9, 10-19, 20-24")
            // Without a filter a page costs its size, whatever the limit on scans.
            let plain = try await client.get("/nodes?limit=20").json
            #expect(plain["nodes"]?.array?.count == 20)
        }
    }

    @Test("a relationship type filter is bounded the same way")
    func relationshipScan() async throws {
        try await TestServer.make { $0.limits.maxScan = 4 }.run { client in
            var ops = [#"{"op": "createNode", "ref": "hub"}"#]
            for index in 0..<9 {
                ops.append(#"{"op": "createRelationship", "type": "\#(index == 7 ? "RARE" : "COMMON")", "from": "$hub", "to": "$hub"}"#)
            }
            #expect(try await client.tx("[" + ops.joined(separator: ",") + "]").status == 200)
            var found: [Int64] = []
            var after: Int64?
            var requests = 0
            repeat {
                let page = try await client.get("/nodes/0/relationships?type=RARE" + (after.map { "&after=\($0)" } ?? "")).json
                found += page["relationships"]?.array?.compactMap { $0["id"]?.int } ?? []
                after = page["next"]?.int
                requests += 1
            } while after != nil && requests < 10
            #expect(found == [7])
            #expect(requests == 3)
            #expect(try await client.get("/nodes/99/relationships?type=RARE").status == 404)
        }
    }
}
