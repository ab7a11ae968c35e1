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
              graph-server --host 0.0.0.0 --admin-token-file /etc/graph/admin.token \\
                --tls-cert cert.pem --tls-key key.pem
              graph-server --archive file:///srv/graph-archive --archive-interval 500ms

              curl -s localhost:4747/tx -H 'Content-Type: application/json' \\
                -d '{"ops": [{"op": "createNode", "labels": ["Person"]}]}'
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

    @Option(help: "...and grew by this many times the last snapshot's size (default 1; 0: the size above alone).")
    var checkpointLogRatio: String?

    @Option(help: "strict (default) or salvage.")
    var recoveryMode: String?

    @Option(help: "Require 'Authorization: Bearer TOKEN' on /admin/* (visible in ps: prefer --admin-token-file).")
    var adminToken: String?

    @Option(help: "Read the admin token from this file (one line).")
    var adminTokenFile: String?

    @Option(help: "Require this bearer token on POST /tx (the admin token works too).")
    var writeToken: String?

    @Option(help: "Read the write token from this file.")
    var writeTokenFile: String?

    @Option(help: "Require this bearer token on the read routes and /metrics (write and admin tokens work too).")
    var readToken: String?

    @Option(help: "Read the read token from this file.")
    var readTokenFile: String?

    @Flag(help: "Keep nothing on disk.")
    var inMemory = false

    @Flag(help: "Allow a non-loopback --host without --admin-token.")
    var allowOpenAdmin = false

    @Option(help: "Largest request body accepted (default 16MiB); larger gets 413.")
    var maxBodyBytes: String?

    @Option(help: "Bytes of request bodies decoded at once across requests (default 64MiB); more wait.")
    var maxDecodingBytes: String?

    @Option(help: "Host names the Host header may carry besides loopback names, IP literals and --host (comma-separated).")
    var allowedHost: String?

    @Option(help: "Browser origins allowed to call the API across sites, e.g. http://localhost:3000 (comma-separated).")
    var corsOrigin: String?

    @Option(help: "The folder admin snapshot paths are confined to (default: the data directory's snapshots/).")
    var snapshotDir: String?

    @Option(help: "Largest snapshot file /admin/snapshot/load reads (default 4GiB).")
    var maxSnapshotBytes: String?

    @Option(help: "Serve HTTPS with this PEM certificate chain (needs --tls-key).")
    var tlsCert: String?

    @Option(help: "The PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(help: "Time a client has to send a request head, in ms (default 10000).")
    var headerTimeoutMs: String?

    @Option(help: "Time a client has to send a request body, in ms (default 60000).")
    var bodyTimeoutMs: String?

    @Option(help: "Time a kept-alive connection may sit idle, in ms (default 60000).")
    var idleTimeoutMs: String?

    @Option(help: "Most connections served at once (default 512); more wait to be accepted.")
    var maxConnections: String?

    @Option(help: "Most nodes or relationships one filtered page query examines (default 100000).")
    var maxScan: String?

    @Option(help: "Ship the log continuously to this archive: s3://bucket/prefix or file:///path.")
    var archive: String?

    @Option(help: "Time between archive rounds (default 1s; units ms, s, m, h; bare digits are seconds).")
    var archiveInterval: String?

    @Option(help: "/health says degraded once the archive lags or fails for longer than this (default 30s).")
    var archiveMaxLag: String?

    @Option(help: "Encrypt every archive object with the key in this file (32 bytes, or 64 hex digits: openssl rand -hex 32).")
    var archiveKeyFile: String?

    @Option(help: "Retention: keep this many newest snapshots in the archive, and delete older ones and the log before them.")
    var archiveRetain: String?

    @Option(help: "Retention: also keep every snapshot archived within this long (units s, m, h; needs --archive-retain).")
    var archiveRetainFor: String?

    @Option(help: "The name this server holds the archive's lease under (default: host name and log directory).")
    var archiveHolder: String?

    @Flag(help: "Take the archive's lease from another holder, fencing it (only when that primary is gone for good).")
    var archiveTakeOver = false

    @Option(help: "Run as a read replica following this archive (s3://bucket/prefix or file:///path); POST /admin/promote makes it the primary.")
    var replicaOf: String?

    /// The flags given, by setting.
    var flags: ServerFlags {
        let values: [ServerSetting: String?] = [
            .host: host, .port: port, .dataDir: dataDir, .walDir: walDir, .snapshotPath: snapshotPath,
            .restoreFrom: restoreFrom, .walSyncMode: walSyncMode, .groupSyncIntervalMs: groupSyncIntervalMs,
            .segmentTargetBytes: segmentTargetBytes, .checkpointEveryCommits: checkpointEveryCommits,
            .checkpointEveryBytes: checkpointEveryBytes, .checkpointLogRatio: checkpointLogRatio, .recoveryMode: recoveryMode, .adminToken: adminToken,
            .adminTokenFile: adminTokenFile, .writeToken: writeToken, .writeTokenFile: writeTokenFile, .readToken: readToken,
            .readTokenFile: readTokenFile, .maxBodyBytes: maxBodyBytes, .maxDecodingBytes: maxDecodingBytes, .allowedHost: allowedHost, .corsOrigin: corsOrigin,
            .snapshotDir: snapshotDir, .maxSnapshotBytes: maxSnapshotBytes, .tlsCert: tlsCert, .tlsKey: tlsKey,
            .headerTimeoutMs: headerTimeoutMs, .bodyTimeoutMs: bodyTimeoutMs, .idleTimeoutMs: idleTimeoutMs,
            .maxConnections: maxConnections, .maxScan: maxScan, .archive: archive, .archiveInterval: archiveInterval,
            .archiveMaxLag: archiveMaxLag, .archiveKeyFile: archiveKeyFile, .archiveRetain: archiveRetain,
            .archiveRetainFor: archiveRetainFor, .archiveHolder: archiveHolder, .replicaOf: replicaOf,
        ]
        var switches: Set<ServerSetting> = []
        if inMemory { switches.insert(.inMemory) }
        if allowOpenAdmin { switches.insert(.allowOpenAdmin) }
        if archiveTakeOver { switches.insert(.archiveTakeOver) }
        return ServerFlags(values: values.compactMapValues { $0 }, switches: switches)
    }
}
