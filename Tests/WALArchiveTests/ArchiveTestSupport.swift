import WALArchive
import WALTestSupport
import WriteAheadLog

/// A log written in rounds, remembering every commit so a test can say
/// which events a restore to any LSN must give back.
final class RecordingLog {
    let wal: WAL<[UInt8]>
    private(set) var commits: [(lsn: LSN, events: [[UInt8]])] = []
    private var counter = 0

    init(directory: String, segmentTargetBytes: UInt64 = 2048) throws {
        let options = WALOptions(syncMode: .none, segmentTargetBytes: segmentTargetBytes)
        wal = try WAL<[UInt8]>.open(directory: directory, options: options).wal
    }

    /// Commits `count` transactions of one to three events each.
    func commit(_ count: Int) throws {
        for _ in 0..<count {
            counter += 1
            let events = (0..<(1 + counter % 3)).map { index in
                [UInt8](repeating: UInt8(truncatingIfNeeded: counter), count: 20 + (counter * 37 + index * 11) % 200)
            }
            guard let commit = try wal.commit(events) else { continue }
            commits.append((commit.commitLSN, events))
        }
    }

    /// The events of every transaction committed at or before `target`, in order.
    func events(upTo target: LSN) -> [[UInt8]] {
        commits.filter { $0.lsn <= target }.flatMap(\.events)
    }
}

/// The events a log directory replays.
func replayedEvents(_ directory: String) throws -> [[UInt8]] {
    let (wal, events, _) = try WAL<[UInt8]>.open(directory: directory, options: WALOptions(syncMode: .none))
    try wal.close()
    return events
}

/// An archive built from a log written in several rounds, with the store over its own directory.
struct BuiltArchive {
    let temporary: TemporaryDirectory
    let store: FileArchiveStore
    let log: RecordingLog
    let keys: [String]

    static func make(prefix: String = "db", rounds: Int = 4, label: String = #function) async throws -> BuiltArchive {
        let temporary = TemporaryDirectory(label)
        let store = FileArchiveStore(directory: temporary.child("archive"))
        let log = try RecordingLog(directory: temporary.child("log"))
        let archiver = Archiver(directory: temporary.child("log"), store: store, options: ArchiverOptions(prefix: prefix))
        var keys: [String] = []
        for round in 0..<rounds {
            try log.commit(3 + round * 2)
            keys += try await archiver.archiveOnce().shipped
        }
        try log.wal.close()
        return BuiltArchive(temporary: temporary, store: store, log: log, keys: keys)
    }

    /// The file holding an object of the store.
    func path(of key: String) -> String { store.root + "/" + key }
}
