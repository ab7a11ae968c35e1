import ArgumentParser

/// `walctl archive ...`: commands on a log archive in object storage.
struct ArchiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Inspect, verify and restore from a log archive (s3://bucket/prefix or file:///path).",
        discussion: """
            S3 archives take their credentials, region and endpoint from the standard AWS \
            environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, \
            AWS_REGION, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL). docs/ARCHIVE.md describes the \
            archive's layout and what each command checks.

            Example:
              walctl archive verify s3://backups/graph && \\
                walctl archive restore s3://backups/graph /var/lib/graph-restored --to-lsn 120000

            \(ExitStatus.helpTable)
            """,
        subcommands: [ArchiveStatusCommand.self, ArchiveVerifyCommand.self, ArchiveRestoreCommand.self])
}
