import ArgumentParser
import GraphServerCore

/// The command line: every flag as an optional string, so that
/// `ServerConfiguration.resolve` can tell "absent" (use the environment
/// variable, then the default) from "given", and word every bad value the
/// same way whether it came from a flag or the environment.
struct GraphServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph-server",
        abstract: "Serve a durable in-memory property graph over HTTP (JSON).",
        discussion: """
            Every flag can also come from an environment variable (the flag wins):
            \(ServerSetting.allCases.map { "  \($0.flag.padding(toLength: 28, withPad: " ", startingAt: 0))\($0.environmentVariable)" }.joined(separator: "\n"))

            Examples:
              graph-server                      # 127.0.0.1:4747 over ./data
              graph-server --port 8080 --wal-sync-mode always
              graph-server --wal-dir ./wal --snapshot-path ./graph.snap
              graph-server --in-memory --port 0 # nothing on disk, a free port
              GRAPH_SERVER_ADMIN_TOKEN=s3cret graph-server --host 0.0.0.0

              curl -s localhost:4747/tx -d '{"ops": [{"op": "createNode",
                "ref": "a", "labels": ["Person"], "properties": {"name": "Ada"}}]}'
              curl -s 'localhost:4747/nodes?label=Person'
              curl -s -X POST localhost:4747/admin/checkpoint \\
                -H 'Authorization: Bearer s3cret'

            Start-up errors print one line and exit with status 64 (a bad flag or
            environment value) or 1 (an unusable path, a log that cannot be
            recovered, a port that cannot be bound). SIGTERM and SIGINT stop the
            server cleanly. The HTTP API is described in docs/SERVER.md.
            """)

    @Option(help: "Address to listen on (default 127.0.0.1). Anything but loopback needs --admin-token or --allow-open-admin.")
    var host: String?

    @Option(help: "TCP port (default 4747; 0 picks a free one and logs it).")
    var port: String?

    @Option(help: "Data directory holding wal/ and snapshots/ (default ./data).")
    var dataDir: String?

    @Option(help: "Log directory, for the explicit layout instead of --data-dir.")
    var walDir: String?

    @Option(help: "The snapshot file checkpoints write, for the explicit layout.")
    var snapshotPath: String?

    @Option(help: "A snapshot to load at start, for the explicit layout.")
    var restoreFrom: String?

    @Option(help: "group-sync (default), always or none.")
    var walSyncMode: String?

    @Option(help: "Background fsync interval under group-sync, in ms (default 50).")
    var groupSyncIntervalMs: String?

    @Option(help: "Rotate log segments past this size (default 64MiB; suffixes KiB, MiB, GiB).")
    var segmentTargetBytes: String?

    @Option(help: "Checkpoint after this many commits (default 0: off).")
    var checkpointEveryCommits: String?

    @Option(help: "Checkpoint once the log grew this much (default 256MiB; 0: off).")
    var checkpointEveryBytes: String?

    @Option(help: "strict (default) or salvage.")
    var recoveryMode: String?

    @Option(help: "Require 'Authorization: Bearer TOKEN' on /admin/*.")
    var adminToken: String?

    @Flag(help: "Keep nothing on disk.")
    var inMemory = false

    @Flag(help: "Allow a non-loopback --host without --admin-token.")
    var allowOpenAdmin = false

    @Option(help: "Largest request body accepted (default 16MiB); larger gets 413.")
    var maxBodyBytes: String?

    /// The flags given, by setting.
    var flags: ServerFlags {
        let values: [ServerSetting: String?] = [
            .host: host, .port: port, .dataDir: dataDir, .walDir: walDir, .snapshotPath: snapshotPath,
            .restoreFrom: restoreFrom, .walSyncMode: walSyncMode, .groupSyncIntervalMs: groupSyncIntervalMs,
            .segmentTargetBytes: segmentTargetBytes, .checkpointEveryCommits: checkpointEveryCommits,
            .checkpointEveryBytes: checkpointEveryBytes, .recoveryMode: recoveryMode, .adminToken: adminToken,
            .maxBodyBytes: maxBodyBytes,
        ]
        var switches: Set<ServerSetting> = []
        if inMemory { switches.insert(.inMemory) }
        if allowOpenAdmin { switches.insert(.allowOpenAdmin) }
        return ServerFlags(values: values.compactMapValues { $0 }, switches: switches)
    }
}
