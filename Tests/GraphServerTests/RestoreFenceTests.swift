import Foundation
import GraphDatabase
import GraphServerCore
import GraphStore
import Testing
import WriteAheadLog
import WALTestSupport

/// A snapshot newer than the log (a restore from a backup into a fresh log
/// directory, or a log that lost its unsynced tail): the log must continue
/// above the snapshot's LSN, or the next restart skips what was written.
@Suite("Restoring from a snapshot newer than the log")
struct RestoreFenceTests {
    /// A backup snapshot stamped with a high LSN, as a long-running server leaves.
    static func backup(in directory: TemporaryDirectory) throws -> (path: String, lsn: LSN) {
        let source = directory.child("source")
        let (database, _) = try GraphDatabase.open(GraphDatabaseConfiguration(storage: .dataDirectory(source), wal: WALOptions(syncMode: .none)))
        for number in 0..<40 {
            try database.write { _ = try $0.createNode(labels: ["Old"], properties: ["n": .int(Int64(number))]) }
        }
        let result = try database.saveSnapshot(to: directory.child("backup.snap"))
        try database.close()
        return (result.path, result.walLSN)
    }

    @Test("--restore-from with a fresh --wal-dir: writes after the restore survive a restart")
    func restoreIntoFreshLog() async throws {
        let directory = TemporaryDirectory()
        let (backup, backupLSN) = try Self.backup(in: directory)
        let storage = StorageLayout.explicit(walDirectory: directory.child("wal"), snapshotPath: nil, restoreFrom: backup)
        try await TestServer.make(storage: storage, syncMode: .always).run { client in
            let response = try await client.tx(#"[{"op": "createNode", "labels": ["New"], "properties": {"n": 1}}]"#, query: "?durable=true")
            #expect(response.status == 200, "\(response.text)")
            #expect(try response.json["durable"] == true)
            guard case .integer(let lsn) = try response.json["lsn"] else {
                Issue.record("no LSN in \(response.text)")
                return
            }
            #expect(lsn > Int64(backupLSN.rawValue), "the write got LSN \(lsn), at or below the restored snapshot's \(backupLSN)")
        }
        // A restart from the same flags: the restored graph plus the new node.
        try await TestServer.make(storage: storage, syncMode: .always).run { client in
            let stats = try await client.get("/stats").json
            #expect(stats["nodes"] == 41, "\(stats)")
        }
    }

    @Test("a log whose end lies below the restored snapshot continues above it, and says so")
    func logBelowSnapshot() throws {
        let directory = TemporaryDirectory()
        let (backup, backupLSN) = try Self.backup(in: directory)
        let wal = directory.child("wal")
        // A short log of its own: it ends far below the backup's LSN.
        do {
            let (database, _) = try GraphDatabase.open(GraphDatabaseConfiguration(storage: .explicit(walDirectory: wal, snapshotPath: nil, restoreFrom: nil)))
            try database.write { _ = try $0.createNode(labels: ["Stray"]) }
            try database.close()
        }
        let storage = StorageLayout.explicit(walDirectory: wal, snapshotPath: nil, restoreFrom: backup)
        let (database, recovery) = try GraphDatabase.open(GraphDatabaseConfiguration(storage: storage, wal: WALOptions(syncMode: .always)))
        let continuation = try #require(recovery.wal?.continuedAboveFence)
        #expect(continuation.fence == backupLSN)
        let result = try database.write { _ = try $0.createNode(labels: ["New"]) }
        #expect(result.lsn > backupLSN)
        try database.close()
        let (again, _) = try GraphDatabase.open(GraphDatabaseConfiguration(storage: storage, wal: WALOptions(syncMode: .always)))
        #expect(again.snapshot.nodeCount == 41)
        try again.close()
    }
}
