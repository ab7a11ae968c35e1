import Foundation
import GraphDatabase
import GraphStore
import Testing
@testable import WALArchive
import WALTestSupport
import WriteAheadLog

/// The snapshots of a data directory, by the LSN in their headers.
struct DataDirectorySnapshots: SnapshotSource {
    let configuration: GraphDatabaseConfiguration

    func snapshots() throws -> [ArchivableSnapshot] {
        try GraphDatabase.snapshotFiles(configuration).map { ArchivableSnapshot(lsn: $0.walLSN.rawValue, path: $0.path) }
    }
}

@Suite("walctl archive")
struct ArchiveCommandTests {
    /// A graph database written in rounds, with checkpoints that truncate
    /// its log, archived after every round; returns the graph (as a dump)
    /// after every transaction.
    static func archivedDatabase(_ temporary: TemporaryDirectory) async throws -> [(lsn: LSN, dump: String)] {
        let data = temporary.child("data")
        let configuration = GraphDatabaseConfiguration(
            storage: .dataDirectory(data), wal: WALOptions(syncMode: .none, segmentTargetBytes: 4096),
            checkpointEveryBytes: nil, keepSnapshots: 2)
        let (database, _) = try GraphDatabase.open(configuration)
        let archiver = Archiver(
            directory: data + "/wal", store: FileArchiveStore(directory: temporary.child("archive")),
            options: ArchiverOptions(snapshots: DataDirectorySnapshots(configuration: configuration)))
        var history: [(lsn: LSN, dump: String)] = []
        for round in 0..<8 {
            for index in 0..<12 {
                let result = try await database.write { tx in
                    let node = try tx.createNode(labels: ["Item"], properties: ["round": .int(Int64(round)), "index": .int(Int64(index))])
                    if index % 4 == 3 { try tx.setNodeProperty(node, key: "note", value: .string(String(repeating: "n", count: 200))) }
                }
                history.append((result.lsn, database.snapshot.dump()))
            }
            _ = try database.sync()
            _ = try await archiver.archiveOnce()
            if round % 3 == 2 {
                try database.checkpoint()
                _ = try await archiver.archiveOnce()
            }
        }
        try database.close()
        return history
    }

    @Test("restore rebuilds a data directory that GraphDatabase opens to exactly the graph at each chosen LSN")
    func restoreDataDirectory() async throws {
        let temporary = TemporaryDirectory()
        let history = try await Self.archivedDatabase(temporary)
        let prefixed = "file://" + temporary.child("archive")

        let verify = try Walctl.run("archive", "verify", prefixed)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("sound:"), "\(verify.stdout)")

        let status = try Walctl.run("archive", "status", prefixed, "--json")
        #expect(status.status == 0, "\(status.stdout)\(status.stderr)")
        #expect(status.stdout.contains("\"lastLSN\": \(history.last?.lsn.rawValue ?? 0)"), "\(status.stdout)")
        #expect(status.stdout.contains("\"leaseEpoch\": 1"), "\(status.stdout)")
        let text = try Walctl.run("archive", "status", prefixed)
        #expect(text.stdout.contains("lease        held by") && text.stdout.contains("at epoch 1"), "\(text.stdout)")

        let picks = [history[3], history[30], history[47], history[60], history[history.count - 1]]
        for (index, point) in picks.enumerated() {
            let restored = temporary.child("restored-\(index)")
            let result = try Walctl.run("archive", "restore", prefixed, restored, "--to-lsn", String(point.lsn.rawValue))
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            let (database, _) = try GraphDatabase.open(GraphDatabaseConfiguration(storage: .dataDirectory(restored)))
            #expect(database.snapshot.dump() == point.dump, "restore to LSN \(point.lsn)")
            // The restored database goes on: a new write and a restart keep it.
            let next = try await database.write { tx in _ = try tx.createNode(labels: ["After"], properties: [:]) }
            #expect(next.lsn > point.lsn)
            try database.close()
        }
    }

    @Test("verify --replay rebuilds the graph from the log and finds every snapshot equal to it; a snapshot whose hashes are sound but whose graph differs from the log is named, exit 2")
    func verifyReplay() async throws {
        let temporary = TemporaryDirectory()
        let history = try await Self.archivedDatabase(temporary)
        let prefixed = "file://" + temporary.child("archive")
        let snapshots = temporary.child("archive") + "/snapshots"
        let names = try FileManager.default.contentsOfDirectory(atPath: snapshots).sorted()
        #expect(names.count >= 2)

        let replayed = try Walctl.run("archive", "verify", "--replay", prefixed, "--json")
        #expect(replayed.status == 0, "\(replayed.stdout)\(replayed.stderr)")
        #expect(replayed.stdout.contains("\"lastLSN\": \(history.last?.lsn.rawValue ?? 0)"), "\(replayed.stdout)")
        let text = try Walctl.run("archive", "verify", "--replay", prefixed)
        #expect(text.stdout.contains("snapshots equal the rebuilt graph"), "\(text.stdout)")
        #expect(text.stdout.contains("\(history.count) transactions from") || text.stdout.contains("transactions from the snapshot"), "\(text.stdout)")

        // The newest snapshot, rewritten with one property changed: sound hashes, wrong graph.
        let victim = try #require(names.last)
        let path = snapshots + "/" + victim
        let object = try ArchivedSnapshot.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), key: victim)
        var (graph, lsn) = try GraphStore.decodeSnapshot(object.body)
        try graph.apply(.setNodeProperty(node: NodeID(0), key: "index", value: .int(999)))
        let forged = ArchivedSnapshot(archiveID: object.archiveID, lsn: object.lsn, body: graph.snapshotBytes(walLSN: lsn))
        try Data(forged.encoded()).write(to: URL(fileURLWithPath: path))

        let plain = try Walctl.run("archive", "verify", prefixed)
        #expect(plain.status == 0, "hashes alone cannot see it: \(plain.stdout)\(plain.stderr)")
        let caught = try Walctl.run("archive", "verify", "--replay", prefixed)
        #expect(caught.status == 2, "\(caught.stdout)\(caught.stderr)")
        #expect(caught.stderr.contains(victim) && caught.stderr.contains("differs from this snapshot"), "\(caught.stderr)")
    }

    @Test("verify --replay follows a snapshot load: it goes on from the snapshot the load made the base, and the graph at the end is the database's")
    func verifyReplayAcrossLoad() async throws {
        let temporary = TemporaryDirectory()
        let data = temporary.child("data")
        let configuration = GraphDatabaseConfiguration(
            storage: .dataDirectory(data), wal: WALOptions(syncMode: .none), checkpointEveryBytes: nil)
        let (database, _) = try GraphDatabase.open(configuration)
        let archiver = Archiver(
            directory: data + "/wal", store: FileArchiveStore(directory: temporary.child("archive")),
            options: ArchiverOptions(snapshots: DataDirectorySnapshots(configuration: configuration)))
        for index in 0..<5 { try await database.write { tx in _ = try tx.createNode(labels: ["A"], properties: ["i": .int(Int64(index))]) } }
        let saved = temporary.child("five.snap")
        try database.saveSnapshot(to: saved)
        for index in 5..<12 { try await database.write { tx in _ = try tx.createNode(labels: ["A"], properties: ["i": .int(Int64(index))]) } }
        _ = try await archiver.archiveOnce()
        try database.loadSnapshot(from: saved)
        for index in 100..<103 { try await database.write { tx in _ = try tx.createNode(labels: ["B"], properties: ["i": .int(Int64(index))]) } }
        _ = try database.sync()
        _ = try await archiver.archiveOnce()
        _ = try await archiver.archiveOnce()
        let expected = database.snapshot
        try database.close()

        let replayed = try Walctl.run("archive", "verify", "--replay", "file://" + temporary.child("archive"), "--json")
        #expect(replayed.status == 0, "\(replayed.stdout)\(replayed.stderr)")
        #expect(replayed.stdout.contains("\"loads\": 1"), "\(replayed.stdout)")
        #expect(replayed.stdout.contains("\"nodes\": \(expected.nodeCount)"), "\(replayed.stdout)")
        #expect(expected.nodeCount == 8)
    }

    @Test("verify names a damaged piece and exits 2; restore refuses a directory that holds a log")
    func verifyAndRefusals() async throws {
        let temporary = TemporaryDirectory()
        _ = try await Self.archivedDatabase(temporary)
        let prefixed = "file://" + temporary.child("archive")

        let restored = temporary.child("restored")
        #expect(try Walctl.run("archive", "restore", prefixed, restored).status == 0)
        let again = try Walctl.run("archive", "restore", prefixed, restored)
        #expect(again.status == 64, "\(again.stdout)\(again.stderr)")
        #expect(again.stderr.contains("already holds a log"), "\(again.stderr)")

        let segments = temporary.child("archive") + "/segments"
        let pieces = try FileManager.default.contentsOfDirectory(atPath: segments).sorted()
        let victim = try #require(pieces.dropFirst(2).first)
        let path = segments + "/" + victim
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 10] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let verify = try Walctl.run("archive", "verify", prefixed)
        #expect(verify.status == 2, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stderr.contains(victim), "\(verify.stderr)")

        let missing = try Walctl.run("archive", "status", "file://" + temporary.child("nothing-here"))
        #expect(missing.status == 66, "\(missing.stdout)\(missing.stderr)")
        let bad = try Walctl.run("archive", "status", "ftp://x")
        #expect(bad.status == 64, "\(bad.stdout)\(bad.stderr)")
    }

    @Test("an encrypted archive needs --key-file: without it verify says so, with it verify and restore work")
    func encryptedArchive() async throws {
        let temporary = TemporaryDirectory()
        let key = (0..<32).map { UInt8(truncatingIfNeeded: $0 * 13 + 1) }
        let keyFile = temporary.child("archive.key")
        try (key.map { String(format: "%02x", $0) }.joined() + "\n").write(toFile: keyFile, atomically: true, encoding: .utf8)
        let store = try EncryptedArchiveStore(base: FileArchiveStore(directory: temporary.child("archive")), key: key)
        let log = temporary.child("log")
        let (wal, _, _) = try WAL<[UInt8]>.open(directory: log, options: WALOptions(syncMode: .none))
        for index in 0..<20 { _ = try await wal.commit([[UInt8(index), 1, 2, 3]]) }
        try wal.close()
        _ = try await Archiver(directory: log, store: store).archiveOnce()
        let url = "file://" + temporary.child("archive")

        let without = try Walctl.run("archive", "verify", url)
        #expect(without.status == 64, "\(without.stdout)\(without.stderr)")
        #expect(without.stderr.contains("encrypted"), "\(without.stderr)")
        let with = try Walctl.run("archive", "verify", url, "--key-file", keyFile)
        #expect(with.status == 0, "\(with.stdout)\(with.stderr)")
        let restored = temporary.child("restored")
        let restore = try Walctl.run("archive", "restore", url, restored, "--log-only", "--key-file", keyFile)
        #expect(restore.status == 0, "\(restore.stdout)\(restore.stderr)")
        let (reopened, events, _) = try WAL<[UInt8]>.open(directory: restored, options: WALOptions(syncMode: .none))
        try reopened.close()
        #expect(events == (0..<20).map { [UInt8($0), 1, 2, 3] })
    }

    @Test("restore --to-time gives the transactions committed at or before the moment; --to-lsn with --to-time is refused")
    func restoreToTime() async throws {
        let temporary = TemporaryDirectory()
        let log = temporary.child("log")
        let (wal, _, _) = try WAL<[UInt8]>.open(directory: log, options: WALOptions(syncMode: .none))
        for index in 0..<10 { _ = try await wal.commit([[UInt8(index)]]) }
        try await Task.sleep(for: .milliseconds(20))
        let moment = Date()
        try await Task.sleep(for: .milliseconds(20))
        for index in 10..<20 { _ = try await wal.commit([[UInt8(index)]]) }
        try wal.close()
        _ = try await Archiver(directory: log, store: FileArchiveStore(directory: temporary.child("archive"))).archiveOnce()
        let url = "file://" + temporary.child("archive")
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]

        let restored = temporary.child("restored")
        let result = try Walctl.run("archive", "restore", url, restored, "--log-only", "--to-time", formatter.string(from: moment))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let (reopened, events, _) = try WAL<[UInt8]>.open(directory: restored, options: WALOptions(syncMode: .none))
        try reopened.close()
        #expect(events == (0..<10).map { [UInt8($0)] })

        let both = try Walctl.run("archive", "restore", url, temporary.child("x"), "--to-lsn", "5", "--to-time", "2026-01-01T00:00:00Z")
        #expect(both.status == 64, "\(both.stdout)\(both.stderr)")
        let garbage = try Walctl.run("archive", "restore", url, temporary.child("y"), "--to-time", "yesterday")
        #expect(garbage.status == 64, "\(garbage.stdout)\(garbage.stderr)")
    }
}
