import WriteAheadLog

extension ArchiveError {
    /// Runs a call through the log library's file-system code (listing,
    /// fsync), reporting its failure as an archive `io` error with the
    /// same path and errno.
    static func platform<T>(_ message: String, path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as WALError {
            throw ArchiveError(.io, message, path: path, errno: error.errno)
        }
    }
}
