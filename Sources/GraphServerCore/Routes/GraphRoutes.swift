import GraphDatabase
import GraphStore
import HTTPTypes
import Hummingbird

/// The graph API: `POST /tx` and the read routes.
struct GraphRoutes: Sendable {
    let slot: DatabaseSlot
    /// Read from the slot at each use: a promotion replaces it.
    var database: GraphDatabase { slot.database }
    let limits: ServerLimits
    let decoding: DecodingBudget
    let keys: IdempotencyKeys

    /// `POST /tx` on `writes`, the read routes on `reads`: each group
    /// carries the token check its routes need.
    /// Bodies up to this size are decoded where they are read; larger ones on the blocking pool.
    static let inlineDecodingBytes = 64 << 10

    func register(reads: RouterGroup<BasicRequestContext>, writes: RouterGroup<BasicRequestContext>) {
        writes.post("tx") { request, _ in try await transaction(request) }
        reads.get("nodes") { request, _ in try nodes(request) }
        reads.get("nodes/:id") { request, context in try node(request, context) }
        reads.get("nodes/:id/relationships") { request, context in try relationshipsOfNode(request, context) }
        reads.get("relationships/:id") { request, context in try relationship(request, context) }
        reads.get("stats") { request, _ in try stats(request) }
    }

    func transaction(_ request: Request) async throws -> Response {
        let query = try QueryReader(request, allowed: ["durable"])
        let durable = try query.flag("durable")
        let body = try await request.bodyBytes(limit: limits.maxBodyBytes)
        // The JSON tree is the costly part; it is gone once the ops are built.
        // A large body takes long enough to parse that it must not hold a
        // thread of the cooperative pool, which every other request needs.
        let parsed = try await decoding.withReservation(body.count) {
            guard body.count > Self.inlineDecodingBytes else { return try TransactionRequest(json: try JSONParser.parse(body)) }
            return try await Blocking.run { try TransactionRequest(json: try JSONParser.parse(body)) }
        }
        let key = try Self.idempotencyKey(request)
        let fingerprint = IdempotencyKeys.fingerprint(body)
        // A retry of a committed request is answered without the writer lock.
        if let key, case .committed(let outcome) = keys.lookup(key, fingerprint: fingerprint) {
            return replay(outcome)
        }
        if let failure = database.failure {
            throw GraphServerError(.poisoned, GraphServerError.poisonedSummary, detail: "\(failure)")
        }
        let hasLog = database.hasLog
        if durable && !hasLog {
            throw GraphServerError(
                .unavailable, "durable=true needs a write-ahead log; this server keeps the graph in memory only (--in-memory)")
        }
        guard !parsed.operations.isEmpty else {
            // Nothing to write, so nothing to lose: durable as soon as there is a log at all.
            return .json(TransactionOutcome(lsn: 0, durable: hasLog, created: [:]).json)
        }
        let operations = parsed.operations
        let keys = keys
        let result: WriteResult<[String: UInt64]>
        do {
            result = try await database.write(durable: durable) { tx in
                // Under the writer lock: no other request with this key can
                // commit between this check and the claim below.
                if let key {
                    switch keys.lookup(key, fingerprint: fingerprint) {
                    case .absent: break
                    case .committed(let outcome): throw Replay(outcome: outcome)
                    case .reused: throw Self.reusedKey
                    case .inProgress: throw Self.keyInProgress
                    }
                }
                let created = try TransactionRunner.apply(operations, to: &tx)
                if let key {
                    tx.annotate(
                        name: IdempotencyKeys.annotationName,
                        text: IdempotencyKeys.annotation(key: key, fingerprint: fingerprint, created: created))
                    keys.claim(key, fingerprint: fingerprint)
                }
                return created
            }
        } catch let replay as Replay {
            return self.replay(replay.outcome)
        } catch {
            // A refusal by the key check found another request's claim: that one is not ours to drop.
            let keyRefusal = (error as? GraphServerError).map { [.idempotencyKeyReused, .idempotencyKeyInProgress].contains($0.code) } ?? false
            if let key, !keyRefusal { keys.abandon(key) }
            throw writeFailure(error)
        }
        if let key {
            keys.complete(key, fingerprint: fingerprint, IdempotencyKeys.Outcome(lsn: result.lsn.rawValue, created: result.value))
        }
        // A transaction that changed nothing logged nothing: it is as durable as the log.
        let isDurable = result.lsn.isNone ? hasLog : result.isDurable
        return .json(TransactionOutcome(lsn: result.lsn.rawValue, durable: isDurable, created: result.value).json)
    }

    /// Refines a failed write into what the client should learn.
    private func writeFailure(_ error: any Error) -> any Error {
        guard let error = error as? GraphDatabaseError, [.log, .poisoned].contains(error.code), database.failure != nil else {
            return error
        }
        // The commit may have reached the log before its write or fsync
        // failed, which poisons the log: the client cannot know either way.
        return GraphServerError(
            .poisoned,
            "the transaction is not visible and may or may not survive a crash: the write-ahead log failed to write or fsync it; writes are refused until a restart (the server's log and POST /admin/wal/status say why)",
            detail: error.message)
    }

    /// The answer to a retry: the original transaction's, with its durability as of now.
    private func replay(_ outcome: IdempotencyKeys.Outcome) -> Response {
        let durable = database.hasLog && outcome.lsn <= database.durableLSN.rawValue
        var response = Response.json(TransactionOutcome(lsn: outcome.lsn, durable: durable, created: outcome.created).json)
        if let name = Self.replayedHeader { response.headers[name] = "true" }
        return response
    }

    /// A retry found the committed original; thrown out of the transaction to roll it back.
    private struct Replay: Error {
        var outcome: IdempotencyKeys.Outcome
    }

    /// `Idempotent-Replayed: true` marks an answer that repeats a committed request's.
    static let replayedHeader = HTTPField.Name("Idempotent-Replayed")

    static let reusedKey = GraphServerError(
        .idempotencyKeyReused, "this Idempotency-Key was used for a request with a different body; use a new key for a new request")
    static let keyInProgress = GraphServerError(
        .idempotencyKeyInProgress, "a request with this Idempotency-Key is being committed; retry once it has answered")

    /// The request's `Idempotency-Key`: 1 to 255 visible ASCII characters.
    static func idempotencyKey(_ request: Request) throws(GraphServerError) -> String? {
        let values = request.headers.filter { $0.name.canonicalName == "idempotency-key" }.map(\.value)
        guard let key = values.first else { return nil }
        guard values.count == 1 else { throw GraphServerError(.badRequest, "the Idempotency-Key header is given more than once") }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw GraphServerError(.badRequest, "the Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good key)")
        }
        return key
    }

    func nodes(_ request: Request) throws -> Response {
        let query = try QueryReader(request, allowed: ["label", "key", "value", "limit", "after"])
        let label = try query.string("label")
        let key = try query.string("key")
        let limit = try query.integer("limit", in: 1...limits.maxPageSize) ?? limits.defaultPageSize
        let after = try query.id("after").map { NodeID($0) }
        var value: PropertyValue?
        if let text = query.raw("value") {
            guard key != nil else {
                throw GraphServerError(.badRequest, "query parameter \"value\" needs \"key\" (GET /nodes?key=name&value=Ada)")
            }
            value = try Self.queryValue(text)
        }
        let page = database.read { store in
            if let key {
                // Through the index on (label, key) when there is one;
                // otherwise a scan of at most `maxScan` nodes per request.
                return store.nodes(
                    label: label, propertyKey: key, value: value, limit: limit, after: after, scanLimit: limits.maxScan)
            }
            return store.nodes(label: label, limit: limit, after: after)
        }
        return .json(["nodes": .array(page.items.map { $0.json }), "next": page.nextCursor.cursorJSON])
    }

    /// A `value=` query parameter: JSON when it parses as JSON (`42`,
    /// `true`, `"42"`), otherwise the text itself as a string (`Ada`).
    static func queryValue(_ text: String) throws(GraphServerError) -> PropertyValue {
        guard let json = try? JSONParser.parse(text) else { return .string(text) }
        return try PropertyValue(json: json, at: "value")
    }

    func node(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        _ = try QueryReader(request, allowed: [])
        let id = try Self.pathID(context, kind: "node")
        guard let node = database.read({ $0.node(NodeID(id)) }) else {
            throw GraphServerError(.notFound, "node \(id) does not exist")
        }
        return .json(node.json)
    }

    func relationship(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        _ = try QueryReader(request, allowed: [])
        let id = try Self.pathID(context, kind: "relationship")
        guard let relationship = database.read({ $0.relationship(RelationshipID(id)) }) else {
            throw GraphServerError(.notFound, "relationship \(id) does not exist")
        }
        return .json(relationship.json)
    }

    func relationshipsOfNode(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let query = try QueryReader(request, allowed: ["direction", "type", "limit", "after"])
        let id = try Self.pathID(context, kind: "node")
        let direction: Direction
        switch query.raw("direction") {
        case nil, "both": direction = .both
        case "out", "outgoing": direction = .outgoing
        case "in", "incoming": direction = .incoming
        case let other?:
            throw GraphServerError(.badRequest, "query parameter \"direction\" must be out, in or both, not \"\(other)\"")
        }
        let type = try query.string("type")
        let limit = try query.integer("limit", in: 1...limits.maxPageSize) ?? limits.defaultPageSize
        let after = try query.id("after").map { RelationshipID($0) }
        let store = database.snapshot
        let page: Page<Relationship>
        do {
            if let type {
                // A node may have millions of relationships: a type filter examines at most `maxScan` per request.
                var failure: (any Error)?
                page = Self.scannedPage(limit: limit, budget: limits.maxScan, after: after) { cursor, count in
                    do {
                        return try store.relationships(of: NodeID(id), direction: direction, limit: count, after: cursor)
                    } catch {
                        failure = error
                        return Page(items: [], nextCursor: nil)
                    }
                } matching: { $0.type == type }
                if let failure { throw failure }
            } else {
                page = try store.relationships(of: NodeID(id), direction: direction, limit: limit, after: after)
            }
        } catch {
            throw GraphServerError(.notFound, "node \(id) does not exist")
        }
        return .json(["relationships": .array(page.items.map(\.json)), "next": page.nextCursor.cursorJSON])
    }

    func stats(_ request: Request) throws -> Response {
        _ = try QueryReader(request, allowed: [])
        let (stats, indexes) = database.read { ($0.stats, $0.indexes) }
        let labels = JSONObject(stats.nodesPerLabel.keys.sorted().map { ($0, .integer(Int64(stats.nodesPerLabel[$0] ?? 0))) })
        let types = JSONObject(
            stats.relationshipsPerType.keys.sorted().map { ($0, .integer(Int64(stats.relationshipsPerType[$0] ?? 0))) })
        return .json([
            "nodes": .integer(Int64(stats.nodeCount)),
            "relationships": .integer(Int64(stats.relationshipCount)),
            "labels": .object(labels),
            "types": .object(types),
            "indexes": .array(
                indexes.map { index -> JSONValue in
                    ["label": .string(index.label), "key": .string(index.key), "unique": .bool(index.isUnique)]
                }),
        ])
    }

    /// A page of at most `limit` candidates that match, examining at most
    /// `budget` candidates in id order above `after`.
    ///
    /// When the budget runs out first, the page holds the matches found so
    /// far (perhaps none) and its cursor is the last candidate examined, so
    /// the next request continues the scan where this one stopped: a page
    /// may be short, or empty, and still have a `next`.
    static func scannedPage<Item: Identifiable & Sendable>(
        limit: Int, budget: Int, after: Item.ID?, fetch: (Item.ID?, Int) -> Page<Item>, matching: (Item) -> Bool
    ) -> Page<Item> where Item.ID: Sendable {
        var items: [Item] = []
        var cursor = after
        var examined = 0
        while examined < budget {
            let chunk = fetch(cursor, min(budget - examined, 1024))
            for item in chunk.items {
                examined += 1
                if matching(item) {
                    if items.count == limit { return Page(items: items, nextCursor: items.last?.id) }
                    items.append(item)
                }
                cursor = item.id
            }
            if chunk.nextCursor == nil { return Page(items: items, nextCursor: nil) }
        }
        return Page(items: items, nextCursor: cursor)
    }

    static func pathID(_ context: BasicRequestContext, kind: String) throws(GraphServerError) -> UInt64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = UInt64(text) else {
            throw GraphServerError(.badRequest, "\(kind) id must be a non-negative integer, not \"\(text)\"")
        }
        return id
    }
}

extension GraphDatabase {
    /// Whether the storage layout has a write-ahead log, read from the
    /// configuration: cheaper than `walStatus()`, which sizes every segment file.
    var hasLog: Bool {
        switch configuration.storage {
        case .inMemory: false
        case .dataDirectory: true
        case .explicit(let walDirectory, _, _): walDirectory != nil
        }
    }
}
