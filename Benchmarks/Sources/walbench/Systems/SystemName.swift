/// The systems a workload runs against, named as in the table and the JSON.
enum SystemName: String, CaseIterable, Sendable {
    /// This WAL, committed from OS threads with the blocking `commit`.
    case wal
    /// This WAL, committed from Swift tasks with the `async` `commit`.
    case walAsync = "wal-async"
    /// SQLite in WAL journal mode, one row per transaction.
    case sqlite
    /// RocksDB, one put per transaction.
    case rocksdb
    /// `write` + `fdatasync` of the same bytes from one thread: what the disk allows.
    case device
    /// The graph database (`GraphDatabase`) on this WAL, one node per transaction.
    case graphdb
}

/// How hard a workload asks for durability, mapped onto each system's knob
/// (the graph database's knob is its log's sync mode, as for `wal`).
enum DurabilityLevel: Sendable {
    /// Commits return once the bytes are in the kernel; an fsync follows
    /// within about 50 ms. WAL `groupSync(50 ms)`, SQLite `synchronous=NORMAL`,
    /// RocksDB `sync=false`, device: `fdatasync` every 50 ms.
    case relaxed
    /// A commit returns once an fsync covers it. WAL `always`, SQLite
    /// `synchronous=FULL`, RocksDB `sync=true`, device: `fdatasync` per write.
    case durable
}

/// What every system writes for one transaction.
struct TransactionPayload: Sendable {
    /// The transaction's events, as the WAL commits them.
    let events: [[UInt8]]
    /// The same bytes back to back: one SQLite row, one RocksDB value.
    let flat: [UInt8]

    /// `eventsPerCommit` events of `eventBytes` bytes each, with varied content
    /// so that no system can shortcut zeros.
    init(eventsPerCommit: Int, eventBytes: Int) {
        var events: [[UInt8]] = []
        var seed: UInt32 = 0x9E37_79B9
        for _ in 0..<eventsPerCommit {
            var event = [UInt8](repeating: 0, count: eventBytes)
            for index in event.indices {
                seed = seed &* 1_664_525 &+ 1_013_904_223
                event[index] = UInt8(truncatingIfNeeded: seed >> 24)
            }
            events.append(event)
        }
        self.events = events
        flat = events.flatMap { $0 }
    }
}

/// A system opened for one workload, committed to from blocking threads.
protocol BlockingCommitter: Sendable {
    /// Commits one transaction of the workload's payload; `writer` is the
    /// caller's index in `0..<writers`.
    func commit(writer: Int) throws
    /// Closes the system; not part of the measured time.
    func close() throws
}
