import WriteAheadLog

/// This library's log, opened fresh in its own directory.
final class WALCommitter: BlockingCommitter {
    let wal: WAL<[UInt8]>
    private let events: [[UInt8]]

    init(directory: String, durability: DurabilityLevel, payload: TransactionPayload) throws {
        let mode: SyncMode = durability == .durable ? .always : .groupSync(interval: .milliseconds(50))
        wal = try WAL<[UInt8]>.open(directory: directory, options: WALOptions(syncMode: mode)).wal
        events = payload.events
    }

    func commit(writer: Int) throws {
        try wal.commit(events)
    }

    /// The `async` commit: suspends while the flusher thread writes and fsyncs.
    func commitAsync() async throws {
        try await wal.commit(events)
    }

    func close() throws {
        try wal.close()
    }
}
