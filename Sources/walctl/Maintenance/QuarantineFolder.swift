import WriteAheadLog

/// The `quarantine/` folder of a log directory, where files are set aside
/// instead of deleted.
///
/// Names follow the library's rule (``setAsideName(for:taken:)``): the
/// original name, or with `.1`, `.2`, ... appended when that name is taken,
/// so nothing already set aside is ever overwritten, and a dry run can
/// predict the names a real run will use.
struct QuarantineFolder {
    let logDirectory: String
    let path: String
    private var taken: Set<String>
    private let fileSystem = PosixFileSystem()

    init(logDirectory: String) {
        self.logDirectory = logDirectory
        path = joinPath(logDirectory, "quarantine")
        taken = Set((try? fileSystem.listDirectory(path)) ?? [])
    }

    /// Reserves and returns the name `fileName` will get in the folder.
    mutating func reserveName(for fileName: String) -> String {
        let name = setAsideName(for: fileName, taken: taken)
        taken.insert(name)
        return joinPath(path, name)
    }

    /// Moves `source`, a file of the log directory, into the folder
    /// (creating it durably) and fsyncs both directories, so the move
    /// survives a crash. Returns the new path.
    mutating func move(_ source: String, named fileName: String) throws(WalctlFailure) -> String {
        let destination = reserveName(for: fileName)
        do {
            try fileSystem.createDirectoryDurably(path)
            try fileSystem.rename(source, to: destination)
            try fileSystem.syncDirectory(path)
            try fileSystem.syncDirectory(logDirectory)
        } catch {
            throw WalctlFailure(.failed, "cannot move \(source) to \(destination): \(Self.reason(error))")
        }
        return destination
    }

    private static func reason(_ error: any Error) -> String {
        guard let error = error as? WALError else { return "\(error)" }
        return [error.message, error.errnoText].compactMap { $0 }.joined(separator: ": ")
    }
}
