import Foundation
import GraphDatabase
import GraphServerCore
import Testing
import WriteAheadLog
import WALTestSupport

@Suite("Start-up settings")
struct ConfigurationTests {
    func resolve(_ values: [ServerSetting: String] = [:], switches: Set<ServerSetting> = [], environment: [String: String] = [:])
        throws(GraphServerError) -> ServerConfiguration
    {
        try ServerConfiguration.resolve(ServerFlags(values: values, switches: switches), environment: environment)
    }

    @Test("no flags: loopback, port 4747, ./data, group sync every 50 ms, strict recovery")
    func defaults() throws {
        let configuration = try resolve()
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 4747)
        #expect(configuration.storage == .dataDirectory("./data"))
        #expect(configuration.wal.syncMode == .groupSync(interval: .milliseconds(50)))
        #expect(configuration.wal.recoveryMode == .strict)
        #expect(configuration.adminToken == nil)
        #expect(configuration.limits.maxBodyBytes == 16 << 20)
    }

    @Test("environment variables fill in for absent flags, and flags win")
    func environment() throws {
        let environment = ["GRAPH_SERVER_PORT": "9000", "GRAPH_SERVER_WAL_SYNC_MODE": "always", "GRAPH_SERVER_IN_MEMORY": "true"]
        let fromEnvironment = try resolve(environment: environment)
        #expect(fromEnvironment.port == 9000)
        #expect(fromEnvironment.wal.syncMode == .always)
        #expect(fromEnvironment.storage == .inMemory)
        let flagWins = try resolve([.port: "9001"], environment: environment)
        #expect(flagWins.port == 9001)
    }

    @Test("every setting parses its documented forms")
    func forms() throws {
        let configuration = try resolve([
            .walDir: "/w", .snapshotPath: "/s.snap", .walSyncMode: "group-sync", .groupSyncIntervalMs: "7",
            .segmentTargetBytes: "8MiB", .checkpointEveryCommits: "100", .checkpointEveryBytes: "0", .recoveryMode: "salvage",
            .maxBodyBytes: "64k", .adminToken: "t", .checkpointLogRatio: "0.25",
        ])
        #expect(configuration.storage == .explicit(walDirectory: "/w", snapshotPath: "/s.snap", restoreFrom: nil))
        #expect(configuration.wal.syncMode == .groupSync(interval: .milliseconds(7)))
        #expect(configuration.wal.segmentTargetBytes == 8 << 20)
        #expect(configuration.checkpointEveryCommits == 100)
        #expect(configuration.checkpointEveryBytes == nil)
        #expect(configuration.checkpointLogToSnapshotRatio == 0.25)
        #expect(try resolve([.checkpointLogRatio: "0"]).checkpointLogToSnapshotRatio == nil)
        #expect(try resolve([:]).checkpointLogToSnapshotRatio == 1)
        #expect(configuration.wal.recoveryMode == .salvage)
        #expect(configuration.limits.maxBodyBytes == 64 << 10)
        #expect(configuration.adminToken == "t")
    }

    @Test("the safety settings parse their documented forms")
    func safetyForms() throws {
        let configuration = try resolve([
            .allowedHost: "DB.internal, graph.example.org", .corsOrigin: "http://localhost:3000", .snapshotDir: "/srv/snaps",
            .maxSnapshotBytes: "1GiB", .maxDecodingBytes: "128MiB", .tlsCert: "/c.pem", .tlsKey: "/k.pem", .writeToken: "w",
            .readToken: "r",
        ])
        #expect(configuration.allowedHosts == ["db.internal", "graph.example.org"])
        #expect(configuration.corsOrigins == ["http://localhost:3000"])
        #expect(configuration.snapshotDirectory == "/srv/snaps")
        #expect(configuration.limits.maxSnapshotBytes == 1 << 30)
        #expect(configuration.limits.maxDecodingBytes == 128 << 20)
        #expect(configuration.tls == TLSFiles(certificatePath: "/c.pem", keyPath: "/k.pem"))
        #expect(configuration.writeToken == "w")
        #expect(configuration.readToken == "r")
        let defaults = try resolve()
        #expect(defaults.allowedHosts.isEmpty && defaults.corsOrigins.isEmpty && defaults.tls == nil)
        #expect(defaults.writeToken == nil && defaults.readToken == nil && defaults.snapshotDirectory == nil)
    }

    @Test(
        "a bad value is refused in one line that names the flag",
        arguments: [
            ([ServerSetting.walSyncMode: "sometimes"], "--wal-sync-mode: invalid value \"sometimes\""),
            ([.port: "70000"], "--port: invalid value \"70000\""),
            ([.groupSyncIntervalMs: "0"], "--group-sync-interval-ms: invalid value \"0\""),
            ([.segmentTargetBytes: "12 parsecs"], "--segment-target-bytes: invalid value"),
            ([.segmentTargetBytes: "1k"], "--segment-target-bytes: invalid value \"1k\"; must be at least"),
            ([.checkpointEveryCommits: "-1"], "--checkpoint-every-commits: invalid value"),
            ([.checkpointLogRatio: "-0.5"], "--checkpoint-log-ratio: invalid value \"-0.5\""),
            ([.checkpointLogRatio: "nan"], "--checkpoint-log-ratio: invalid value \"nan\""),
            ([.checkpointLogRatio: "twice"], "--checkpoint-log-ratio: invalid value \"twice\""),
            ([.recoveryMode: "lenient"], "--recovery-mode: invalid value \"lenient\""),
            ([.maxBodyBytes: "0"], "--max-body-bytes: invalid value"),
            ([.adminToken: ""], "--admin-token: invalid value \"\"; must not be empty"),
            ([.dataDir: "/d", .walDir: "/w"], "--data-dir cannot be combined with --wal-dir"),
            ([.allowedHost: "a.example,,b.example"], "--allowed-host: invalid value"),
            ([.tlsKey: "/k.pem"], "--tls-key needs --tls-cert"),
            ([.maxSnapshotBytes: "lots"], "--max-snapshot-bytes: invalid value"),
            ([.maxDecodingBytes: "0"], "--max-decoding-bytes: invalid value"),
            ([.writeToken: ""], "--write-token: invalid value \"\"; must not be empty"),
        ])
    func badValues(values: [ServerSetting: String], message: String) {
        let error = #expect(throws: GraphServerError.self) { try resolve(values) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.hasPrefix(message) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("\n") == false)
    }

    @Test("a bad value from the environment names the variable")
    func badEnvironment() {
        let error = #expect(throws: GraphServerError.self) { try resolve(environment: ["GRAPH_SERVER_WAL_SYNC_MODE": "often"]) }
        #expect(error?.message.hasPrefix("GRAPH_SERVER_WAL_SYNC_MODE: invalid value \"often\"") == true)
        let flag = #expect(throws: GraphServerError.self) { try resolve(environment: ["GRAPH_SERVER_IN_MEMORY": "perhaps"]) }
        #expect(flag?.message.hasPrefix("GRAPH_SERVER_IN_MEMORY") == true)
    }

    @Test("--in-memory excludes every on-disk setting")
    func inMemoryConflicts() {
        let error = #expect(throws: GraphServerError.self) { try resolve([.walDir: "/w"], switches: [.inMemory]) }
        #expect(error?.message.hasPrefix("--in-memory cannot be combined with --wal-dir") == true)
    }

    @Test("a non-loopback host needs a token or --allow-open-admin", arguments: ["0.0.0.0", "192.0.2.1", "::", "example.org"])
    func openHost(host: String) throws {
        let error = #expect(throws: GraphServerError.self) { try resolve([.host: host]) }
        #expect(error?.message.contains("--admin-token") == true)
        #expect(try resolve([.host: host, .adminToken: "t"]).host == host)
        #expect(try resolve([.host: host], switches: [.allowOpenAdmin]).allowOpenAdmin)
    }

    @Test("a network address without a write token or without TLS is warned about at start-up")
    func exposureWarnings() throws {
        #expect(try resolve().exposureWarnings.isEmpty)
        let open = try resolve([.host: "0.0.0.0", .adminToken: "a"]).exposureWarnings
        #expect(open.count == 2)
        #expect(open.first?.contains("--write-token") == true)
        #expect(open.last?.contains("--tls-cert") == true)
        let guarded = try resolve([.host: "0.0.0.0", .adminToken: "a", .writeToken: "w", .tlsCert: "/c", .tlsKey: "/k"])
        #expect(guarded.exposureWarnings.isEmpty)
    }

    @Test("loopback hosts need no token", arguments: ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"])
    func loopback(host: String) throws {
        #expect(ServerConfiguration.isLoopback(host))
        #expect(try resolve([.host: host]).host == host)
    }

    @Test("preparing paths creates a data directory and refuses a file in its place")
    func paths() throws {
        let directory = TemporaryDirectory()
        var configuration = try resolve([.dataDir: directory.child("a/b")])
        try configuration.preparePaths()
        #expect(FileManager.default.fileExists(atPath: directory.child("a/b")))
        _ = FileManager.default.createFile(atPath: directory.child("file"), contents: Data())
        configuration.storage = .dataDirectory(directory.child("file"))
        let error = #expect(throws: GraphServerError.self) { try configuration.preparePaths() }
        #expect(error?.message == "--data-dir \(directory.child("file")): exists but is not a directory")
        configuration.storage = .explicit(walDirectory: nil, snapshotPath: nil, restoreFrom: directory.child("missing.snap"))
        let missing = #expect(throws: GraphServerError.self) { try configuration.preparePaths() }
        #expect(missing?.message.hasPrefix("--restore-from") == true)
    }
}
