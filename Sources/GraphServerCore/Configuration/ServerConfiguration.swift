import Foundation
import GraphDatabase
import Logging
import WriteAheadLog

/// Everything the server runs with, checked.
///
/// Built from flags and environment variables by
/// ``resolve(_:environment:)``, whose errors name the flag (or variable)
/// and the value that is wrong, in one line.
public struct ServerConfiguration: Sendable {
    /// The address to listen on (`--host`).
    public var host = "127.0.0.1"
    /// The TCP port (`--port`); 0 picks a free one.
    public var port = 4747
    /// Where the graph lives: a data directory, the explicit layout, or memory.
    public var storage: StorageLayout = .dataDirectory("./data")
    /// Sync mode, segment size and recovery mode of the log.
    public var wal = WALOptions()
    /// Managed checkpoint after this many commits (nil: never by count).
    public var checkpointEveryCommits: Int?
    /// Managed checkpoint once the log grew this much (nil: never by size).
    public var checkpointEveryBytes: UInt64? = 256 << 20
    /// A checkpoint by size also waits for this many times the last
    /// snapshot's size of log (nil: the byte threshold alone).
    public var checkpointLogToSnapshotRatio: Double? = 1
    /// Required as a bearer token on `/admin/*` when set; also accepted
    /// wherever a write or read token is.
    public var adminToken: String?
    /// Required as a bearer token on `POST /tx` when set; also accepted
    /// wherever a read token is.
    public var writeToken: String?
    /// Required as a bearer token on the read routes and `/metrics` when set.
    public var readToken: String?
    /// Host names, beyond loopback names, IP literals and `host`, that the
    /// `Host` header may carry (`--allowed-host`).
    public var allowedHosts: [String] = []
    /// Browser origins (`https://app.example:8443`) allowed to call the API
    /// across sites, with CORS headers (`--cors-origin`).
    public var corsOrigins: [String] = []
    /// The folder admin snapshot paths are confined to (`--snapshot-dir`);
    /// nil: the layout's snapshot folder.
    public var snapshotDirectory: String?
    /// Certificate chain and private key files (PEM) to serve HTTPS with.
    public var tls: TLSFiles?
    /// Lets the server bind beyond loopback with no admin token.
    public var allowOpenAdmin = false
    /// Per-request limits.
    public var limits = ServerLimits()
    /// Where and how often the log is archived (`--archive`); nil: not archived.
    public var archive: ArchiveSettings?

    /// The defaults: what `graph-server` with no flags runs with.
    public init() {}

    /// The database configuration these settings describe; with an
    /// archive, log truncation never passes what it holds.
    public func databaseConfiguration(logger: Logger, archive: ServerArchive? = nil) -> GraphDatabaseConfiguration {
        var configuration = GraphDatabaseConfiguration(
            storage: storage, wal: wal, checkpointEveryCommits: checkpointEveryCommits,
            checkpointEveryBytes: checkpointEveryBytes, checkpointLogToSnapshotRatio: checkpointLogToSnapshotRatio,
            logger: logger)
        if let archive {
            configuration.logRetention = { archive.retainedLSN }
        }
        return configuration
    }

    /// Whether `host` names this machine's loopback interface only.
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if bare == "localhost" || bare == "::1" { return true }
        let parts = bare.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// Checks flags, falling back to environment variables and then to the
    /// defaults. Touches no file: ``preparePaths()`` does that.
    public static func resolve(_ flags: ServerFlags, environment: [String: String]) throws(GraphServerError) -> ServerConfiguration {
        let reader = SettingReader(flags: flags, environment: environment)
        var configuration = ServerConfiguration()

        if let host = try reader.string(.host) { configuration.host = host }
        if let port = try reader.integer(.port, in: 0...65535) { configuration.port = port }

        let inMemory = try reader.flag(.inMemory)
        let dataDir = try reader.string(.dataDir)
        let walDir = try reader.string(.walDir)
        let snapshotPath = try reader.string(.snapshotPath)
        let restoreFrom = try reader.string(.restoreFrom)
        let explicit: [(ServerSetting, String?)] = [(.walDir, walDir), (.snapshotPath, snapshotPath), (.restoreFrom, restoreFrom)]
        let explicitGiven = explicit.filter { $0.1 != nil }.map(\.0)
        if inMemory {
            if let other = (dataDir != nil ? [.dataDir] : explicitGiven).first {
                throw reader.conflict(.inMemory, other, "keeps nothing on disk")
            }
            configuration.storage = .inMemory
        } else if let first = explicitGiven.first {
            if dataDir != nil {
                throw reader.conflict(.dataDir, first, "is one layout and \(reader.source(first)) another; use one or the other")
            }
            configuration.storage = .explicit(walDirectory: walDir, snapshotPath: snapshotPath, restoreFrom: restoreFrom)
        } else if let dataDir {
            configuration.storage = .dataDirectory(dataDir)
        }

        switch try reader.string(.walSyncMode) {
        case nil, "group-sync":
            let interval = try reader.integer(.groupSyncIntervalMs, in: 1...60_000) ?? 50
            configuration.wal.syncMode = .groupSync(interval: .milliseconds(interval))
        case "always": configuration.wal.syncMode = .always
        case "none": configuration.wal.syncMode = .none
        case let other?: throw reader.invalid(.walSyncMode, other, "expected group-sync, always or none")
        }
        if let bytes = try reader.byteCount(.segmentTargetBytes, minimum: 64 << 10) { configuration.wal.segmentTargetBytes = bytes }
        switch try reader.string(.recoveryMode) {
        case nil, "strict": configuration.wal.recoveryMode = .strict
        case "salvage": configuration.wal.recoveryMode = .salvage
        case let other?: throw reader.invalid(.recoveryMode, other, "expected strict or salvage")
        }
        if let commits = try reader.integer(.checkpointEveryCommits, in: 0...Int(Int32.max)) {
            configuration.checkpointEveryCommits = commits == 0 ? nil : commits
        }
        if let bytes = try reader.byteCount(.checkpointEveryBytes, minimum: 0) {
            configuration.checkpointEveryBytes = bytes == 0 ? nil : bytes
        }
        if let ratio = try reader.decimal(.checkpointLogRatio, in: 0...1_000) {
            configuration.checkpointLogToSnapshotRatio = ratio == 0 ? nil : ratio
        }
        if let limit = try reader.byteCount(.maxBodyBytes, minimum: 1) {
            guard limit <= 1 << 30 else { throw reader.invalid(.maxBodyBytes, "\(limit)", "at most 1GiB") }
            configuration.limits.maxBodyBytes = Int(limit)
        }

        if let bytes = try reader.byteCount(.maxDecodingBytes, minimum: 1) {
            guard bytes <= 1 << 40 else { throw reader.invalid(.maxDecodingBytes, "\(bytes)", "at most 1TiB") }
            configuration.limits.maxDecodingBytes = Int(bytes)
        }
        if let bytes = try reader.byteCount(.maxSnapshotBytes, minimum: 1) { configuration.limits.maxSnapshotBytes = bytes }
        if let scan = try reader.integer(.maxScan, in: 1...Int(Int32.max)) { configuration.limits.maxScan = scan }
        if let milliseconds = try reader.integer(.headerTimeoutMs, in: 1...3_600_000) {
            configuration.limits.headerTimeout = .milliseconds(milliseconds)
        }
        if let milliseconds = try reader.integer(.bodyTimeoutMs, in: 1...3_600_000) {
            configuration.limits.bodyTimeout = .milliseconds(milliseconds)
        }
        if let milliseconds = try reader.integer(.idleTimeoutMs, in: 1...3_600_000) {
            configuration.limits.idleTimeout = .milliseconds(milliseconds)
        }
        if let connections = try reader.integer(.maxConnections, in: 1...1_000_000) { configuration.limits.maxConnections = connections }

        configuration.allowedHosts = try reader.list(.allowedHost).map { $0.lowercased() }
        configuration.corsOrigins = try reader.list(.corsOrigin).map { origin throws(GraphServerError) in
            guard let normalized = BrowserOrigin.normalize(origin) else {
                throw reader.invalid(.corsOrigin, origin, "expected an origin such as https://app.example or http://localhost:3000")
            }
            return normalized
        }
        configuration.snapshotDirectory = try reader.string(.snapshotDir)
        switch (try reader.string(.tlsCert), try reader.string(.tlsKey)) {
        case (nil, nil): break
        case (let certificate?, let key?): configuration.tls = TLSFiles(certificatePath: certificate, keyPath: key)
        case (nil, _?):
            throw GraphServerError(.invalidConfiguration, "\(reader.source(.tlsKey)) needs \(ServerSetting.tlsCert.flag), its certificate: pass both")
        case (_?, nil):
            throw GraphServerError(.invalidConfiguration, "\(reader.source(.tlsCert)) needs \(ServerSetting.tlsKey.flag), its private key: pass both")
        }

        configuration.adminToken = try reader.token(.adminToken, file: .adminTokenFile)
        configuration.writeToken = try reader.token(.writeToken, file: .writeTokenFile)
        configuration.readToken = try reader.token(.readToken, file: .readTokenFile)
        configuration.allowOpenAdmin = try reader.flag(.allowOpenAdmin)
        configuration.archive = try resolveArchive(reader, storage: configuration.storage)
        if !isLoopback(configuration.host) && configuration.adminToken == nil && !configuration.allowOpenAdmin {
            throw GraphServerError(
                .invalidConfiguration,
                "refusing to serve on \(configuration.host) without --admin-token: /admin/* (snapshots, truncation) would be open to the network; set --admin-token or --admin-token-file (or GRAPH_SERVER_ADMIN_TOKEN), or pass --allow-open-admin to accept that")
        }
        return configuration
    }

    /// What a server on a network address lacks, one sentence each, for
    /// the start-up log: nothing on loopback. The server starts anyway; an
    /// admin route open to the network is refused in ``resolve(_:environment:)``.
    public var exposureWarnings: [String] {
        guard !Self.isLoopback(host) else { return [] }
        var warnings: [String] = []
        if writeToken == nil {
            warnings.append("POST /tx is open to anyone who can reach \(host): set --write-token-file to require a token for writes")
        }
        if tls == nil && (adminToken != nil || writeToken != nil || readToken != nil) {
            warnings.append("bearer tokens cross the network in clear text: serve TLS with --tls-cert and --tls-key")
        }
        return warnings
    }

    /// Creates the directories the storage layout needs and checks that
    /// they (and a snapshot to restore) are usable, naming the flag on failure.
    public func preparePaths() throws(GraphServerError) {
        if let tls { _ = try ServerTLS.configuration(tls) }
        if let snapshotDirectory { try Self.prepareDirectory(snapshotDirectory, flag: .snapshotDir) }
        switch storage {
        case .inMemory:
            break
        case .dataDirectory(let root):
            try Self.prepareDirectory(root, flag: .dataDir)
        case .explicit(let walDirectory, let snapshotPath, let restoreFrom):
            if let walDirectory { try Self.prepareDirectory(walDirectory, flag: .walDir) }
            if let snapshotPath {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: snapshotPath, isDirectory: &isDirectory), isDirectory.boolValue {
                    throw Self.pathError(.snapshotPath, snapshotPath, "is a directory; it must name a file")
                }
                let parent = (snapshotPath as NSString).deletingLastPathComponent
                try Self.prepareDirectory(parent.isEmpty ? "." : parent, flag: .snapshotPath)
            }
            if let restoreFrom {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: restoreFrom, isDirectory: &isDirectory) else {
                    throw Self.pathError(.restoreFrom, restoreFrom, "no such file")
                }
                guard !isDirectory.boolValue else { throw Self.pathError(.restoreFrom, restoreFrom, "is a directory; it must name a snapshot file") }
                guard FileManager.default.isReadableFile(atPath: restoreFrom) else {
                    throw Self.pathError(.restoreFrom, restoreFrom, "is not readable")
                }
            }
        }
    }

    private static func prepareDirectory(_ path: String, flag: ServerSetting) throws(GraphServerError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw pathError(flag, path, "exists but is not a directory") }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            } catch {
                throw pathError(flag, path, "cannot create the directory (\(Self.reason(error)))")
            }
        }
        guard FileManager.default.isWritableFile(atPath: path) else {
            throw pathError(flag, path, "the directory is not writable by this user")
        }
    }

    private static func reason(_ error: any Error) -> String {
        let underlying = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError
        if let underlying, underlying.domain == NSPOSIXErrorDomain, let text = strerror(Int32(underlying.code)) {
            return String(cString: text)
        }
        return (error as NSError).localizedDescription
    }

    private static func pathError(_ flag: ServerSetting, _ path: String, _ problem: String) -> GraphServerError {
        GraphServerError(.invalidConfiguration, "\(flag.flag) \(path): \(problem)")
    }
}

/// Reads one setting from its flag, else its environment variable, and
/// words errors after whichever supplied the value.
struct SettingReader {
    let flags: ServerFlags
    let environment: [String: String]

    /// The flag, or the variable when the value came from the environment.
    func source(_ setting: ServerSetting) -> String {
        flags.values[setting] == nil && !flags.switches.contains(setting) && environment[setting.environmentVariable] != nil
            ? setting.environmentVariable : setting.flag
    }

    func invalid(_ setting: ServerSetting, _ value: String, _ expectation: String) -> GraphServerError {
        GraphServerError(.invalidConfiguration, "\(source(setting)): invalid value \"\(value)\"; \(expectation)")
    }

    func conflict(_ first: ServerSetting, _ second: ServerSetting, _ reason: String) -> GraphServerError {
        GraphServerError(.invalidConfiguration, "\(source(first)) cannot be combined with \(source(second)): \(source(first)) \(reason)")
    }

    func string(_ setting: ServerSetting) throws(GraphServerError) -> String? {
        guard let value = flags.values[setting] ?? environment[setting.environmentVariable] else { return nil }
        guard !value.isEmpty else { throw invalid(setting, value, "must not be empty") }
        return value
    }

    func integer(_ setting: ServerSetting, in range: ClosedRange<Int>) throws(GraphServerError) -> Int? {
        guard let text = try string(setting) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw invalid(setting, text, "expected an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func decimal(_ setting: ServerSetting, in range: ClosedRange<Double>) throws(GraphServerError) -> Double? {
        guard let text = try string(setting) else { return nil }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw invalid(setting, text, "expected a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// A byte count: digits with an optional binary suffix (k/KiB, m/MiB, g/GiB).
    func byteCount(_ setting: ServerSetting, minimum: UInt64) throws(GraphServerError) -> UInt64? {
        guard let text = try string(setting) else { return nil }
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let suffix = text.dropFirst(digits.count).lowercased()
        let shift: UInt64
        switch suffix {
        case "", "b": shift = 0
        case "k", "kb", "kib": shift = 10
        case "m", "mb", "mib": shift = 20
        case "g", "gb", "gib": shift = 30
        default: throw invalid(setting, text, "expected a byte count such as 65536, 64KiB, 64MiB or 1GiB")
        }
        guard let base = UInt64(digits), base <= UInt64.max >> shift else {
            throw invalid(setting, text, "expected a byte count such as 65536, 64KiB, 64MiB or 1GiB")
        }
        let bytes = base << shift
        guard bytes >= minimum else { throw invalid(setting, text, "must be at least \(minimum) bytes") }
        return bytes
    }

    /// A duration: digits with a unit, `ms`, `s`, `m` or `h` (`250ms`,
    /// `30s`, `2m`); bare digits are seconds.
    func duration(_ setting: ServerSetting, in range: ClosedRange<Duration>) throws(GraphServerError) -> Duration? {
        guard let text = try string(setting) else { return nil }
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        let expectation = "expected a duration such as 250ms, 30s or 2m (bare digits are seconds)"
        guard let value = Int64(digits), value <= 1_000_000_000 else { throw invalid(setting, text, expectation) }
        let duration: Duration
        switch text.dropFirst(digits.count).lowercased() {
        case "ms": duration = .milliseconds(value)
        case "", "s": duration = .seconds(value)
        case "m", "min": duration = .seconds(value * 60)
        case "h": duration = .seconds(value * 3600)
        default: throw invalid(setting, text, expectation)
        }
        guard range.contains(duration) else {
            throw invalid(setting, text, "must be from \(Self.describe(range.lowerBound)) to \(Self.describe(range.upperBound))")
        }
        return duration
    }

    /// `250ms`, `30s`: how ``duration(_:in:)`` reads them.
    static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return attoseconds == 0 ? "\(seconds)s" : "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms"
    }

    /// A comma-separated list; empty items are refused.
    func list(_ setting: ServerSetting) throws(GraphServerError) -> [String] {
        guard let text = try string(setting) else { return [] }
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !items.contains(where: \.isEmpty) else { throw invalid(setting, text, "expected a comma-separated list without empty items") }
        return items
    }

    /// A token given directly (visible in `ps` and the environment) or read
    /// from a file, which keeps it out of both. The file's trailing line
    /// break and spaces are not part of the token.
    func token(_ setting: ServerSetting, file fileSetting: ServerSetting) throws(GraphServerError) -> String? {
        let direct = try string(setting)
        guard let path = try string(fileSetting) else { return direct }
        if direct != nil { throw conflict(setting, fileSetting, "and \(source(fileSetting)) both give the token; pass one") }
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw GraphServerError(.invalidConfiguration, "\(source(fileSetting)) \(path): cannot read the token file")
        }
        let token = String(contents.reversed().drop { $0.isWhitespace || $0.isNewline }.reversed())
        guard !token.isEmpty else { throw GraphServerError(.invalidConfiguration, "\(source(fileSetting)) \(path): the token file is empty") }
        guard !token.contains(where: { $0.isNewline || !$0.isASCII || $0.asciiValue.map { $0 < 0x21 || $0 == 0x7F } == true }) else {
            throw GraphServerError(
                .invalidConfiguration, "\(source(fileSetting)) \(path): the token must be one line of printable ASCII without spaces")
        }
        return token
    }

    func flag(_ setting: ServerSetting) throws(GraphServerError) -> Bool {
        if flags.switches.contains(setting) { return true }
        guard let value = environment[setting.environmentVariable] else { return false }
        switch value.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off", "": return false
        default: throw GraphServerError(.invalidConfiguration, "\(setting.environmentVariable): invalid value \"\(value)\"; expected true or false")
        }
    }
}
