import CSQLite
import Synchronization

/// SQLite in WAL journal mode: each transaction inserts one row, of the
/// log workloads' bytes or of the graph workloads' node (see `SQLiteTable`).
///
/// All writers share one connection behind a mutex, the way GRDB's
/// `DatabasePool` serialises writes: SQLite allows one writer at a time,
/// and separate connections would only add `SQLITE_BUSY` back-off sleeps.
/// SQLite has no group commit, so concurrent durable commits queue for
/// one fsync each.
final class SQLiteCommitter: BlockingCommitter {
    private struct Connection {
        var database: OpaquePointer
        var insert: OpaquePointer
    }

    private let connection: Mutex<Connection?>
    private let table: SQLiteTable
    private let path: String

    init(directory: String, durability: DurabilityLevel, table: SQLiteTable) throws {
        try makeDirectory(directory)
        path = "\(directory)/bench.sqlite"
        self.table = table
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &handle, flags, nil) == SQLITE_OK, let database = handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw BenchError("sqlite3_open_v2 failed for \(path): \(message)")
        }
        do {
            let synchronous = durability == .durable ? "FULL" : "NORMAL"
            try Self.execute(database, path: path, """
                PRAGMA journal_mode=WAL;
                PRAGMA synchronous=\(synchronous);
                \(table.createStatement)
                """)
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(database, table.insertStatement, -1, &statement, nil) == SQLITE_OK,
                let insert = statement
            else {
                throw BenchError("preparing the insert failed for \(path): \(String(cString: sqlite3_errmsg(database)))")
            }
            connection = Mutex(Connection(database: database, insert: insert))
        } catch {
            sqlite3_close(database)
            throw error
        }
    }

    private static func execute(_ database: OpaquePointer, path: String, _ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(database, sql, nil, nil, &message) == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "unknown error"
            sqlite3_free(message)
            throw BenchError("sqlite3_exec failed for \(path): \(text)")
        }
    }

    /// One autocommit `INSERT`: a transaction of its own, fsynced at commit
    /// under `synchronous=FULL`.
    func commit(writer: Int) throws {
        try connection.withLock { connection in
            guard let connection else { throw BenchError("the SQLite connection to \(path) is closed") }
            let status = table.insert(with: connection.insert)
            guard status == SQLITE_DONE else {
                throw BenchError("insert failed for \(path): \(String(cString: sqlite3_errmsg(connection.database)))")
            }
        }
    }

    func close() throws {
        let closing = connection.withLock { connection in
            defer { connection = nil }
            return connection
        }
        guard let closing else { return }
        sqlite3_finalize(closing.insert)
        guard sqlite3_close(closing.database) == SQLITE_OK else {
            throw BenchError("sqlite3_close failed for \(path)")
        }
    }
}
