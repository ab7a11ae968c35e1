import Foundation
import GraphDatabase
import Hummingbird
import WriteAheadLog

/// The operator routes under `/admin`, as lora-server has them (all POST).
///
/// Each may touch the disk (fsync, snapshot files), so each runs on the
/// blocking thread pool. Named snapshot files are confined to the
/// ``SnapshotFolder``; the routes still write, load and truncate, which is
/// why a server bound beyond loopback needs a token.
struct AdminRoutes: Sendable {
    let slot: DatabaseSlot
    /// Read from the slot at each use: a promotion replaces it.
    var database: GraphDatabase { slot.database }
    let limits: ServerLimits
    let snapshots: SnapshotFolder

    /// Admin bodies are a path or a fence: a few bytes. A low limit keeps a
    /// (possibly unauthenticated, on loopback) admin route from decoding megabytes.
    var adminBodyLimit: Int { min(limits.maxBodyBytes, 64 << 10) }

    func register(on group: RouterGroup<BasicRequestContext>) {
        group.post("wal/status") { request, _ in try await status(request) }
        group.post("wal/truncate") { request, _ in try await truncate(request) }
        group.post("checkpoint") { request, _ in try await checkpoint(request, save: false) }
        group.post("snapshot/save") { request, _ in try await checkpoint(request, save: true) }
        group.post("snapshot/load") { request, _ in try await load(request) }
        group.post("sync") { request, _ in try await sync(request) }
    }

    /// The log's status, read off the cooperative pool: it sizes every segment file.
    private func requireLog() async throws -> WALStatus {
        let database = database
        guard let status = try await Blocking.run({ try database.walStatus() }) else {
            throw GraphServerError(
                .unavailable, "this server runs without a write-ahead log (--in-memory or no --wal-dir); there is no log to administer")
        }
        return status
    }

    func status(_ request: Request) async throws -> Response {
        _ = try await request.optionalJSONObject(limit: adminBodyLimit, allowed: [])
        let status = try await requireLog()
        var object = JSONObject([
            ("directory", .string(status.directory)),
            ("syncMode", .string(SyncModeName.name(of: status.syncMode))),
        ])
        if case .groupSync(let interval) = status.syncMode {
            object["groupSyncIntervalMs"] = .integer(interval.wholeMilliseconds ?? .max)
        }
        object["durableLsn"] = .integer(Int64(clamping: status.durableLSN.rawValue))
        object["writtenLsn"] = .integer(Int64(clamping: status.writtenLSN.rawValue))
        object["nextLsn"] = .integer(Int64(clamping: status.nextLSN.rawValue))
        object["activeSegment"] = .integer(Int64(clamping: status.activeSegment.rawValue))
        object["oldestSegment"] = .integer(Int64(clamping: status.oldestSegment.rawValue))
        object["segmentCount"] = .integer(Int64(status.segmentCount))
        object["totalBytes"] = .integer(Int64(clamping: status.totalBytes))
        object["poisoned"] = .bool(status.failure != nil)
        object["failure"] = status.failure.map { .string("\($0)") } ?? .null
        return .json(.object(object))
    }

    func truncate(_ request: Request) async throws -> Response {
        let body = try await request.optionalJSONObject(limit: adminBodyLimit, allowed: ["fenceLsn"])
        _ = try await requireLog()
        // Without a fence the database uses the durable LSN, as lora-server.
        let fence = try body.optionalUnsigned("fenceLsn").map { LSN($0) }
        let database = database
        let truncation = try await Blocking.run { try database.truncateLog(upTo: fence) }
        return .json([
            "fenceLsn": .integer(Int64(clamping: truncation.requestedFence.rawValue)),
            "appliedFenceLsn": .integer(Int64(clamping: truncation.appliedFence.rawValue)),
            "limitedBy": Self.limitName(truncation.limitedBy),
            "deletedSegments": .array(truncation.deletedSegments.map { .integer(Int64(clamping: $0.rawValue)) }),
        ])
    }

    /// What held a truncation back, as the API names it: the server's only
    /// log retention is the archive (`--archive`).
    static func limitName(_ limit: TruncationLimit?) -> JSONValue {
        switch limit {
        case nil: .null
        case .snapshots?: "snapshots"
        case .logRetention?: "archive"
        }
    }

    func checkpoint(_ request: Request, save: Bool) async throws -> Response {
        let body = try await request.optionalJSONObject(limit: adminBodyLimit, allowed: ["path"])
        let requested = try body.optionalString("path")
        let database = database
        let snapshots = snapshots
        let result: CheckpointResult
        do {
            result = try await Blocking.run {
                let path = try requested.map { requested throws(GraphServerError) in
                    let path = try snapshots.resolve(requested, creating: true)
                    try snapshots.checkWritable(path)
                    return path
                }
                return save ? try database.saveSnapshot(to: path) : try database.checkpoint(to: path)
            }
        } catch let error as GraphDatabaseError where error.code == .unavailable {
            throw GraphServerError(
                .unavailable,
                "no snapshot location: start the server with --data-dir, --snapshot-path or --snapshot-dir")
        }
        return .json([
            "path": .string(result.path),
            "walLsn": .integer(Int64(clamping: result.walLSN.rawValue)),
            "nodes": .integer(Int64(result.nodeCount)),
            "relationships": .integer(Int64(result.relationshipCount)),
            "truncatedSegments": .array(result.truncatedSegments.map { .integer(Int64(clamping: $0.rawValue)) }),
            "truncationFenceLsn": result.truncation.map { .integer(Int64(clamping: $0.appliedFence.rawValue)) } ?? .null,
            "truncationLimitedBy": Self.limitName(result.truncation?.limitedBy),
        ])
    }

    func load(_ request: Request) async throws -> Response {
        let body = try await request.optionalJSONObject(limit: adminBodyLimit, allowed: ["path"])
        let requested = try body.optionalString("path")
        let database = database
        let snapshots = snapshots
        let counts: (nodeCount: Int, relationshipCount: Int)
        do {
            counts = try await Blocking.run {
                let path = try requested.map { requested throws(GraphServerError) in
                    let path = try snapshots.resolve(requested, creating: false)
                    try snapshots.checkLoadable(path)
                    return path
                }
                return try database.loadSnapshot(from: path)
            }
        } catch let error as GraphDatabaseError where error.code == .snapshot && error.graphError != nil {
            throw GraphServerError(.badSnapshot, "the snapshot cannot be loaded: \(error.graphError?.description ?? error.message)")
        } catch let error as GraphDatabaseError where error.code == .unavailable {
            throw GraphServerError(.unavailable, error.message)
        } catch let error as GraphDatabaseError where error.code == .wouldDiscardCommits {
            // A name relative to the snapshot folder: what a request may send back.
            let snapshot = error.path.map { ($0 as NSString).lastPathComponent } ?? "snapshot-<lsn>.snap"
            throw GraphServerError(
                .conflict, "\(error.message). The newest snapshot is \(snapshot): send {\"path\": \"\(snapshot)\"} to load it anyway")
        }
        var object = JSONObject()
        if let requested { object["path"] = .string(requested) }
        object["nodes"] = .integer(Int64(counts.nodeCount))
        object["relationships"] = .integer(Int64(counts.relationshipCount))
        return .json(.object(object))
    }

    func sync(_ request: Request) async throws -> Response {
        _ = try await request.optionalJSONObject(limit: adminBodyLimit, allowed: [])
        _ = try await requireLog()
        let database = database
        let durable = try await Blocking.run { try database.sync() }
        return .json(["durableLsn": .integer(Int64(clamping: durable.rawValue))])
    }
}
