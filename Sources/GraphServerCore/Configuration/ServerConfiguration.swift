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
    /// Required as a bearer token on `/admin/*` when set.
    public var adminToken: String?
    /// Lets the server bind beyond loopback with no admin token.
    public var allowOpenAdmin = false
    /// Per-request limits.
    public var limits = ServerLimits()

    /// The defaults: what `graph-server` with no flags runs with.
    public init() {}

    /// The database configuration these settings describe.
    public func databaseConfiguration(logger: Logger) -> GraphDatabaseConfiguration {
        GraphDatabaseConfiguration(
            storage: storage, wal: wal, checkpointEveryCommits: checkpointEveryCommits,
            checkpointEveryBytes: checkpointEveryBytes, logger: logger)
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
        if let limit = try reader.byteCount(.maxBodyBytes, minimum: 1) {
            guard limit <= 1 << 30 else { throw reader.invalid(.maxBodyBytes, "\(limit)", "at most 1GiB") }
            configuration.limits.maxBodyBytes = Int(limit)
        }

        configuration.adminToken = try reader.string(.adminToken)
        configuration.allowOpenAdmin = try reader.flag(.allowOpenAdmin)
        if !isLoopback(configuration.host) && configuration.adminToken == nil && !configuration.allowOpenAdmin {
            throw GraphServerError(
                .invalidConfiguration,
                "refusing to serve on \(configuration.host) without --admin-token: /admin/* (snapshots, truncation) would be open to the network; set --admin-token (or GRAPH_SERVER_ADMIN_TOKEN), or pass --allow-open-admin to accept that")
        }
        return configuration
    }

    /// Creates the directories the storage layout needs and checks that
    /// they (and a snapshot to restore) are usable, naming the flag on failure.
    public func preparePaths() throws(GraphServerError) {
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
