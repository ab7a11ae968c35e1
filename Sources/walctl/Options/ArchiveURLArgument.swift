import ArgumentParser
import Foundation
import WALArchive

/// The archive every `walctl archive` command takes as its first argument.
struct ArchiveURLArgument: ParsableArguments {
    @Argument(help: ArgumentHelp("The archive: s3://bucket/prefix or file:///path.", valueName: "url"))
    var url: String

    @Option(
        name: .customLong("key-file"),
        help: ArgumentHelp("The key of an encrypted archive: 32 bytes or 64 hex digits.", valueName: "file"),
        completion: .file())
    var keyFile: String?

    /// The parsed location and its store (S3 credentials from the AWS_* environment).
    func open() throws -> (location: ArchiveLocation, store: any ArchiveStore) {
        do {
            let location = try ArchiveLocation(parsing: url)
            return (location, try location.makeStore(environment: ProcessInfo.processInfo.environment, keyFile: keyFile))
        } catch let error as ArchiveError {
            throw WalctlFailure(archive: error)
        }
    }
}

/// Runs an archive operation from a synchronous command, mapping archive
/// errors to walctl's exit codes.
func archiveOperation<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    do {
        return try awaitBlocking(work)
    } catch let error as ArchiveError {
        throw WalctlFailure(archive: error)
    }
}
