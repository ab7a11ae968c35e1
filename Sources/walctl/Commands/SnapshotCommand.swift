import ArgumentParser

/// `walctl snapshot ...`: commands on graph snapshot files.
struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Commands on graph snapshot files.",
        discussion: """
            Example:
              walctl snapshot inspect /var/lib/graph/snapshot.bin

            \(ExitStatus.helpTable)
            """,
        subcommands: [SnapshotInspectCommand.self])
}
