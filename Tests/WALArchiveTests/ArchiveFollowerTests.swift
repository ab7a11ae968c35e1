import Foundation
import Synchronization
import Testing
import WALArchive
import WALTestSupport
import WriteAheadLog

/// A file store that counts the requests a follower makes.
final class CountingStore: ArchiveStore {
    let base: FileArchiveStore
    private let counts = Mutex<[String: Int]>([:])

    init(base: FileArchiveStore) { self.base = base }

    func count(_ operation: String) -> Int { counts.withLock { $0[operation, default: 0] } }
    private func note(_ operation: String) { counts.withLock { $0[operation, default: 0] += 1 } }

    func put(_ key: String, _ bytes: [UInt8], condition: WriteCondition) async throws -> ObjectVersion {
        note("put")
        return try await base.put(key, bytes, condition: condition)
    }
    func get(_ key: String) async throws -> StoredObject? {
        note("get")
        return try await base.get(key)
    }
    func head(_ key: String) async throws -> ObjectInfo? {
        note("head")
        return try await base.head(key)
    }
    func list(prefix: String, after: String?, limit: Int) async throws -> ListPage {
        note("list")
        return try await base.list(prefix: prefix, after: after, limit: limit)
    }
    func delete(_ key: String) async throws {
        note("delete")
        try await base.delete(key)
    }
}

/// Collects what a follower hands over.
final class Collected: Sendable {
    let transactions = Mutex<[FollowedTransaction<[UInt8]>]>([])
    var events: [[UInt8]] { transactions.withLock { $0.flatMap(\.events) } }
    var commitLSNs: [LSN] { transactions.withLock { $0.map(\.commitLSN) } }
    func add(_ transaction: FollowedTransaction<[UInt8]>) { transactions.withLock { $0.append(transaction) } }
}

@Suite("Following an archive")
struct ArchiveFollowerTests {
    /// A log, its archiver and the follower reading the archive, in one temporary directory.
    struct Setup {
        let temporary: TemporaryDirectory
        let log: RecordingLog
        let snapshots: TestSnapshots
        let archiver: Archiver
        let store: CountingStore

        init(label: String = #function) throws {
            temporary = TemporaryDirectory(label)
            log = try RecordingLog(directory: temporary.child("log"), segmentTargetBytes: 1024)
            snapshots = try TestSnapshots(directory: temporary.child("snapshots"))
            store = CountingStore(base: FileArchiveStore(directory: temporary.child("archive")))
            archiver = Archiver(
                directory: temporary.child("log"), store: store.base, options: ArchiverOptions(prefix: "db", snapshots: snapshots))
        }

        func round(_ commits: Int) async throws {
            try log.commit(commits)
            _ = try await archiver.archiveOnce()
        }

        func follower() -> ArchiveFollower<[UInt8]> { ArchiveFollower(store: store, prefix: "db") }
    }

    @Test("a follower started on an archive without snapshots hands over every committed transaction, in order, across many rounds and segments")
    func followsFromTheStart() async throws {
        let setup = try Setup()
        try await setup.round(7)
        let follower = setup.follower()
        #expect(try await follower.start() == nil)
        let collected = Collected()
        for round in 0..<6 {
            let polled = try await follower.poll { collected.add($0); return true }
            let last = try #require(setup.log.commits.last?.lsn)
            #expect(polled.appliedLSN == last, "round \(round)")
            #expect(collected.events == setup.log.events(upTo: last), "round \(round)")
            #expect(collected.commitLSNs == setup.log.commits.map(\.lsn), "round \(round)")
            try await setup.round(3 + round * 4)
        }
        #expect(collected.transactions.withLock { $0.allSatisfy { $0.commitTime != nil } }, "format 2 commit records carry their time")
        #expect(try ArchiveFollowerTests.segmentCount(setup.temporary.child("log")) > 3, "the rounds crossed segments")
    }

    @Test("a follower far behind catches up in batches of pieces, each handed over before the next is read, and a decline in the middle resumes where it stopped")
    func catchesUpInBatches() async throws {
        let setup = try Setup()
        for round in 0..<6 { try await setup.round(4 + round) }
        // One piece per batch.
        let follower = ArchiveFollower<[UInt8]>(store: setup.store, prefix: "db", batchBytes: 1)
        _ = try await follower.start()
        let collected = Collected()
        let stopAt = setup.log.commits[setup.log.commits.count / 2].lsn
        let first = try await follower.poll { transaction in
            guard transaction.commitLSN != stopAt else { return false }
            collected.add(transaction)
            return true
        }
        #expect(first.isWaiting)
        let rest = try await follower.poll { collected.add($0); return true }
        #expect(!rest.isWaiting)
        #expect(rest.piecesRead > 0, "the first poll stopped reading at the batch it could not hand over")
        #expect(first.piecesRead + rest.piecesRead >= 6)
        #expect(collected.commitLSNs == setup.log.commits.map(\.lsn))
    }

    @Test("while the head does not move a poll reads the head and nothing else; when it moves, it lists only the keys after the newest piece read")
    func pollsTheHeadOnly() async throws {
        let setup = try Setup()
        try await setup.round(5)
        let follower = setup.follower()
        _ = try await follower.start()
        _ = try await follower.poll { _ in true }
        let (gets, lists) = (setup.store.count("get"), setup.store.count("list"))
        for _ in 0..<5 { _ = try await follower.poll { _ in true } }
        #expect(setup.store.count("get") == gets + 5, "one GET of the head per poll")
        #expect(setup.store.count("list") == lists, "no LIST while the head stands still")

        try await setup.round(4)
        let collected = Collected()
        let beforeMove = setup.store.count("list")
        let polled = try await follower.poll { collected.add($0); return true }
        #expect(polled.piecesRead >= 1)
        #expect(setup.store.count("list") == beforeMove + 1, "one page of keys after the newest piece")
        #expect(collected.commitLSNs == setup.log.commits.suffix(4).map(\.lsn))
    }

    @Test("a transaction the consumer declines is handed over again, first, at the next poll; nothing after it is handed over before it")
    func declinedIsHandedOverAgain() async throws {
        let setup = try Setup()
        try await setup.round(6)
        let follower = setup.follower()
        _ = try await follower.start()
        let collected = Collected()
        let third = setup.log.commits[2].lsn
        let declined = try await follower.poll { transaction in
            guard transaction.commitLSN != third else { return false }
            collected.add(transaction)
            return true
        }
        #expect(declined.isWaiting)
        #expect(declined.appliedLSN == setup.log.commits[1].lsn)
        let resumed = try await follower.poll { collected.add($0); return true }
        #expect(!resumed.isWaiting)
        #expect(collected.commitLSNs == setup.log.commits.map(\.lsn))
    }

    @Test("a follower starts from the newest archived snapshot and hands over only what was committed after it")
    func startsFromSnapshot() async throws {
        let setup = try Setup()
        try await setup.round(5)
        let middle = try #require(setup.log.commits.last?.lsn)
        try setup.snapshots.write(setup.log.events(upTo: middle), lsn: middle)
        try await setup.round(6)
        let follower = setup.follower()
        let snapshot = try #require(try await follower.start())
        #expect(snapshot.lsn == middle)
        #expect(TestSnapshots.decode(snapshot.body) == setup.log.events(upTo: middle))
        let collected = Collected()
        _ = try await follower.poll { collected.add($0); return true }
        #expect(collected.commitLSNs == setup.log.commits.filter { $0.lsn > middle }.map(\.lsn))
        #expect(try await follower.snapshot(at: middle)?.lsn == middle)
        #expect(try await follower.snapshot(at: LSN(middle.rawValue + 1)) == nil)
    }

    @Test("a damaged new piece stops the follower with an error naming it; nothing of it is handed over")
    func damagedPieceNamed() async throws {
        let setup = try Setup()
        try await setup.round(4)
        let follower = setup.follower()
        _ = try await follower.start()
        _ = try await follower.poll { _ in true }
        let applied = await follower.appliedLSN
        let shipped = try await { () async throws -> [String] in
            try setup.log.commit(3)
            return try await setup.archiver.archiveOnce().shipped
        }()
        let key = try #require(shipped.last)
        let path = setup.store.base.root + "/" + key
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 10] ^= 0x40
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let collected = Collected()
        await #expect {
            _ = try await follower.poll { collected.add($0); return true }
        } throws: { error in
            (error as? ArchiveError)?.key == key
        }
        #expect(collected.transactions.withLock { $0.isEmpty })
        #expect(await follower.appliedLSN == applied)
    }

    @Test("a follower only ever sees what the head acknowledges: a piece stored beyond the head is not handed over")
    func onlyAcknowledged() async throws {
        let setup = try Setup()
        try await setup.round(4)
        let follower = setup.follower()
        _ = try await follower.start()
        let collected = Collected()
        _ = try await follower.poll { collected.add($0); return true }
        // A round that stored its piece and died before the head update: put the old head back.
        let headPath = setup.store.base.root + "/db/head"
        let head = try Data(contentsOf: URL(fileURLWithPath: headPath))
        try await setup.round(3)
        try head.write(to: URL(fileURLWithPath: headPath))
        _ = try await follower.poll { collected.add($0); return true }
        #expect(collected.commitLSNs == setup.log.commits.dropLast(3).map(\.lsn))
    }

    @Test("retention deleting what a follower still needs makes it say so (fellBehind); started again it resumes from the newest snapshot")
    func fellBehindRetention() async throws {
        let setup = try Setup()
        try await setup.round(5)
        let follower = setup.follower()
        _ = try await follower.start()
        _ = try await follower.poll { _ in true }
        for _ in 0..<3 {
            try await setup.round(6)
            let last = try #require(setup.log.commits.last?.lsn)
            try setup.snapshots.write(setup.log.events(upTo: last), lsn: last)
            _ = try await setup.archiver.archiveOnce()
        }
        try await setup.round(2)
        _ = try await setup.archiver.applyRetention(RetentionPolicy(keepSnapshots: 1))
        await #expect {
            _ = try await follower.poll { _ in true }
        } throws: { error in
            (error as? ArchiveError)?.code == .fellBehind
        }
        let snapshot = try #require(try await follower.start())
        let collected = Collected()
        _ = try await follower.poll { collected.add($0); return true }
        #expect(TestSnapshots.decode(snapshot.body) + collected.events == setup.log.events(upTo: setup.log.commits.last?.lsn ?? .none))
    }

    static func segmentCount(_ directory: String) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { SegmentID(fileName: $0) != nil }.count
    }
}
