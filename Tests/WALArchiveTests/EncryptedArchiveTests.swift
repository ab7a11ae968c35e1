import Foundation
import Testing
import WALArchive
import WALTestSupport
import WriteAheadLog

@Suite("Encryption at rest")
struct EncryptedArchiveTests {
    static let key = (0..<32).map { UInt8($0 &* 7 &+ 3) }

    /// Every file under `directory`, recursively.
    static func files(_ directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        return enumerator.compactMap { $0 as? String }.map { directory + "/" + $0 }.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    @Test("an encrypted archive restores and verifies with the key, and the store holds no plaintext")
    func roundTrip() async throws {
        let temporary = TemporaryDirectory()
        let base = FileArchiveStore(directory: temporary.child("archive"))
        let store = try EncryptedArchiveStore(base: base, key: Self.key)
        let log = try RecordingLog(directory: temporary.child("log"), segmentTargetBytes: 1024)
        let snapshots = try TestSnapshots(directory: temporary.child("snapshots"))
        let archiver = Archiver(directory: temporary.child("log"), store: store, options: ArchiverOptions(prefix: "db", snapshots: snapshots))
        for round in 0..<4 {
            try log.commit(5 + round)
            if round == 2, let last = log.commits.last?.lsn { try snapshots.write(log.events(upTo: last), lsn: last) }
            _ = try await archiver.archiveOnce()
        }
        try log.wal.close()

        let report = try await ArchiveRestore.verify(store: store, prefix: "db")
        #expect(report.lastLSN == log.commits.last?.lsn)
        #expect(report.snapshots.count == 1)
        let data = temporary.child("restored")
        let restored = try await ArchiveRestore.restore(
            from: store, prefix: "db", into: data + "/wal", snapshotPath: { data + "/snap-\($0.rawValue)" })
        let events = try restoredEvents(log: data + "/wal", snapshot: restored.snapshotPath.map { (restored.snapshotLSN ?? .none, $0) })
        #expect(events == log.events(upTo: log.commits.last?.lsn ?? .none))

        // No object in the store shows a magic, the head's JSON, or any event's bytes.
        let objects = Self.files(temporary.child("archive")).filter { !$0.contains("/.") }
        #expect(objects.count >= 6)
        let plaintexts = [Array("WALPIECE".utf8), Array("WALSNAPS".utf8), Array("archiveID".utf8), Array("holder".utf8)]
            + log.commits.prefix(5).flatMap(\.events)
        for path in objects {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            for plaintext in plaintexts {
                #expect(!Self.contains(bytes, plaintext), "\(path) holds plaintext")
            }
        }
    }

    @Test("without the key, with a wrong key, and for an object moved to another key, the error says so and names the object")
    func refusals() async throws {
        let temporary = TemporaryDirectory()
        let base = FileArchiveStore(directory: temporary.child("archive"))
        let log = try RecordingLog(directory: temporary.child("log"))
        try log.commit(6)
        _ = try await Archiver(directory: temporary.child("log"), store: try EncryptedArchiveStore(base: base, key: Self.key)).archiveOnce()
        try log.commit(6)
        try log.wal.close()
        _ = try await Archiver(directory: temporary.child("log"), store: try EncryptedArchiveStore(base: base, key: Self.key)).archiveOnce()

        let noKey = await #expect(throws: ArchiveError.self) { _ = try await ArchiveRestore.verify(store: base) }
        #expect(noKey?.description.contains("encrypted: give the archive's key file") == true, "\(String(describing: noKey))")
        #expect(noKey?.key == "head")

        var wrong = Self.key
        wrong[0] ^= 1
        let wrongKey = await #expect(throws: ArchiveError.self) {
            _ = try await ArchiveRestore.verify(store: try EncryptedArchiveStore(base: base, key: wrong))
        }
        #expect(wrongKey?.code == .corruption)
        #expect(wrongKey?.description.contains("does not decrypt") == true)

        // Swap two pieces' files: each decrypts only under its own key.
        let pieces = try FileManager.default.contentsOfDirectory(atPath: base.root + "/segments").sorted()
        try #require(pieces.count >= 2)
        let first = base.root + "/segments/" + pieces[0]
        let second = base.root + "/segments/" + pieces[1]
        let firstBytes = try Data(contentsOf: URL(fileURLWithPath: first))
        try Data(contentsOf: URL(fileURLWithPath: second)).write(to: URL(fileURLWithPath: first))
        try firstBytes.write(to: URL(fileURLWithPath: second))
        let moved = await #expect(throws: ArchiveError.self) {
            _ = try await ArchiveRestore.verify(store: try EncryptedArchiveStore(base: base, key: Self.key))
        }
        #expect(moved?.key == "segments/" + pieces[0], "\(String(describing: moved))")
        #expect(moved?.description.contains("moved from another key") == true)
    }

    @Test("key files: 32 raw bytes or 64 hex digits; anything else is refused with its size")
    func keyFiles() throws {
        let temporary = TemporaryDirectory()
        let raw = temporary.child("raw.key")
        try Data(Self.key).write(to: URL(fileURLWithPath: raw))
        #expect(try EncryptedArchiveStore.loadKey(path: raw) == Self.key)
        let hex = temporary.child("hex.key")
        try (Self.key.map { String(format: "%02x", $0) }.joined() + "\n").write(toFile: hex, atomically: true, encoding: .utf8)
        #expect(try EncryptedArchiveStore.loadKey(path: hex) == Self.key)
        let short = temporary.child("short.key")
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: short))
        let error = #expect(throws: ArchiveError.self) { try EncryptedArchiveStore.loadKey(path: short) }
        #expect(error?.description.contains("holds 3 bytes") == true)
        #expect(throws: ArchiveError.self) { try EncryptedArchiveStore.loadKey(path: temporary.child("missing.key")) }
    }
}
