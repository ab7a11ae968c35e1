import ArgumentParser

/// `walctl snapshot inspect FILE`: a snapshot's header and checksum status.
struct SnapshotInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a graph snapshot's header, walLSN, counts and checksum status.",
        discussion: """
            Checks the header (magic, version, its own checksum), the file size the header \
            promises, and the body checksum; --deep also decodes the whole body into a graph, \
            checking it against the header's counts. walLSN is the WAL position the snapshot is \
            consistent with: the fence for `walctl truncate` and for replay. Reads only.

            Example:
              walctl snapshot inspect /var/lib/graph/snapshot.bin --deep

            Exit codes: 0 intact, 2 damaged header or body (or, with --deep, a body that does not \
            decode), 4 I/O error, 64 bad arguments, 66 no such file.
            """)

    @Argument(help: ArgumentHelp("The snapshot file.", valueName: "file"), completion: .file())
    var file: String

    @Flag(help: "Also decode the whole body, not only check its checksum.")
    var deep = false

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    func run() throws {
        let inspection = try SnapshotInspection(path: file, deep: deep)
        if json {
            Console.line(inspection.json.pretty)
        } else {
            inspection.lines.forEach { Console.line($0) }
        }
        if inspection.status != .success { throw inspection.status.exitCode }
    }
}
