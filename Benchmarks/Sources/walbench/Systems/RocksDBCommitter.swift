import CRocksDB
import Synchronization

/// RocksDB through its C API: each transaction is one put of the
/// transaction's bytes under a fresh 8-byte key.
///
/// `@unchecked Sendable`: the handles are set once in `init` and only read
/// afterwards, and RocksDB documents `DB::Put` as safe to call from many
/// threads at once (concurrent writers form write groups that share one
/// WAL write and, with `sync=true`, one fsync).
final class RocksDBCommitter: BlockingCommitter, @unchecked Sendable {
    private let options: OpaquePointer
    private let writeOptions: OpaquePointer
    private let database: OpaquePointer
    private let bytes: [UInt8]
    private let nextKey = Atomic<UInt64>(0)
    private let closed = Atomic<Bool>(false)
    private let path: String

    init(directory: String, durability: DurabilityLevel, payload: TransactionPayload) throws {
        path = directory
        bytes = payload.flat
        guard let options = rocksdb_options_create(), let writeOptions = rocksdb_writeoptions_create() else {
            throw BenchError("rocksdb: cannot allocate options")
        }
        rocksdb_options_set_create_if_missing(options, 1)
        rocksdb_writeoptions_set_sync(writeOptions, durability == .durable ? 1 : 0)
        var error: UnsafeMutablePointer<CChar>?
        let database = rocksdb_open(options, directory, &error)
        if let error {
            let message = String(cString: error)
            rocksdb_free(error)
            rocksdb_writeoptions_destroy(writeOptions)
            rocksdb_options_destroy(options)
            throw BenchError("rocksdb_open failed for \(directory): \(message)")
        }
        guard let database else {
            rocksdb_writeoptions_destroy(writeOptions)
            rocksdb_options_destroy(options)
            throw BenchError("rocksdb_open returned no database for \(directory)")
        }
        self.options = options
        self.writeOptions = writeOptions
        self.database = database
    }

    func commit(writer: Int) throws {
        guard !closed.load(ordering: .relaxed) else { throw BenchError("the RocksDB database at \(path) is closed") }
        var key = nextKey.wrappingAdd(1, ordering: .relaxed).oldValue.bigEndian
        var error: UnsafeMutablePointer<CChar>?
        withUnsafeBytes(of: &key) { keyBytes in
            bytes.withUnsafeBytes { value in
                rocksdb_put(
                    database, writeOptions,
                    keyBytes.baseAddress?.assumingMemoryBound(to: CChar.self), keyBytes.count,
                    value.baseAddress?.assumingMemoryBound(to: CChar.self), value.count,
                    &error)
            }
        }
        if let error {
            let message = String(cString: error)
            rocksdb_free(error)
            throw BenchError("rocksdb_put failed for \(path): \(message)")
        }
    }

    func close() throws {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        rocksdb_close(database)
        rocksdb_writeoptions_destroy(writeOptions)
        rocksdb_options_destroy(options)
    }
}
