import GraphDatabase
import GraphStore
import Hummingbird

/// The one error type of the server layer: every failure a client or an
/// operator sees, with the HTTP status it maps to.
///
/// A request's error becomes `{"error": {"code": "...", "message": "..."}}`
/// with ``status``; a start-up error becomes one line on stderr. The
/// message names what was wrong and where (the op index and field, the
/// flag, the path).
///
/// What only an operator may see (file paths, errno text, the log's own
/// failure) goes in ``detail``, never in ``message``: the server's log and
/// the admin routes show it, every other response leaves it out, so a
/// client without admin rights learns nothing about the server's files.
public struct GraphServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What kind of failure this is; the raw value is the `code` clients see.
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// The body is not valid JSON.
        case badJSON = "bad_json"
        /// The JSON is valid but the request is not: a bad op, a missing or
        /// mistyped field, a bad query parameter.
        case badRequest = "bad_request"
        /// A property value the graph cannot store.
        case invalidValue = "invalid_value"
        /// A route that needs a bearer token, without the right one.
        case unauthorized
        /// A request from a foreign site, or for a host name that is not this server's.
        case forbidden
        /// A state-changing request whose body is not `application/json`.
        case unsupportedMediaType = "unsupported_media_type"
        /// A node, relationship or file the request names does not exist.
        case notFound = "not_found"
        /// No route has this path.
        case noRoute = "no_route"
        /// A route has this path, but not this method; `Allow` lists the methods it takes.
        case methodNotAllowed = "method_not_allowed"
        /// The graph refuses the change (deleting a node that has relationships).
        case conflict
        /// An `assert` op of a transaction does not hold: what the client
        /// read has changed since, and nothing of the transaction was applied.
        case assertionFailed = "assertion_failed"
        /// An `Idempotency-Key` sent again with a different body.
        case idempotencyKeyReused = "idempotency_key_reused"
        /// An `Idempotency-Key` whose first request is still committing.
        case idempotencyKeyInProgress = "idempotency_key_in_progress"
        /// The body is larger than the configured limit.
        case payloadTooLarge = "payload_too_large"
        /// The operation needs something this server runs without (a log, a
        /// snapshot location); the message says what to configure.
        case unavailable
        /// A snapshot to load is damaged or not a snapshot.
        case badSnapshot = "bad_snapshot"
        /// The write-ahead log failed; writes are refused until a restart.
        case poisoned
        /// The database is shutting down.
        case closed
        /// Anything else: a failure of the server or the disk, not of the request.
        case `internal`
        /// A flag or environment variable has a bad value, or start-up cannot proceed.
        case invalidConfiguration = "invalid_configuration"
        /// A write sent to a read replica: it goes to the primary.
        case readOnlyReplica = "read_only_replica"
        /// A write sent to a primary that another server fenced by taking its archive over.
        case fenced
        /// A read sent to a replica that has not restored its starting point yet.
        case replicaNotReady = "replica_not_ready"
    }

    /// What kind of failure this is.
    public var code: Code
    /// What was wrong and where, in one line, fit for any client.
    public var message: String
    /// The operator's part: paths, errno text, the underlying error. Only
    /// the server's log and admin responses carry it.
    public var detail: String?

    /// An error of kind `code`; `message` names the field, op or flag,
    /// `detail` what only an operator may read.
    public init(_ code: Code, _ message: String, detail: String? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
    }

    /// The HTTP status a response with this error carries.
    public var status: HTTPResponse.Status {
        switch code {
        case .badJSON, .badRequest, .invalidValue, .unavailable, .badSnapshot, .invalidConfiguration: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .unsupportedMediaType: .unsupportedMediaType
        case .notFound, .noRoute: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .conflict, .assertionFailed, .idempotencyKeyInProgress: .conflict
        case .idempotencyKeyReused: .unprocessableContent
        case .payloadTooLarge: .contentTooLarge
        case .poisoned, .closed, .replicaNotReady: .serviceUnavailable
        case .readOnlyReplica, .fenced: .misdirectedRequest
        case .internal: .internalServerError
        }
    }

    /// `code: message: detail`, for the log and stderr.
    public var description: String { "\(code.rawValue): \(fullMessage)" }

    /// The message with the detail appended, for the log and admin responses.
    public var fullMessage: String { detail.map { "\(message): \($0)" } ?? message }

    /// The JSON body of an error response for any client: without ``detail``.
    public var json: JSONValue { json(revealingDetail: false) }

    /// The JSON body of an error response; the detail only when `revealingDetail` (admin routes).
    public func json(revealingDetail: Bool) -> JSONValue {
        ["error": ["code": .string(code.rawValue), "message": .string(revealingDetail ? fullMessage : message)]]
    }

    /// Maps a database error, prefixing `context` (such as `ops[2] (deleteNode)`) to its message.
    public init(_ error: GraphDatabaseError, context: String? = nil) {
        let code: Code =
            switch error.code {
            case .notFound: .notFound
            case .conflict, .wouldDiscardCommits: .conflict
            case .invalidValue: .invalidValue
            case .poisoned: .poisoned
            case .closed: .closed
            case .unavailable: .unavailable
            case .invalidConfiguration: .badRequest
            case .log, .snapshot, .recovery: .internal
            }
        // The graph's own wording is the clearest ("node 7 does not exist").
        let text = error.graphError?.message ?? error.message
        var full = context.map { "\($0): \(text)" } ?? text
        if let path = error.path, !full.contains(path) { full += " (\(path))" }
        // A refusal of the graph says nothing about the server's files; a
        // failure of the log, a snapshot or recovery names files and errno.
        let namesFiles = error.graphError == nil && (error.path != nil || error.logError != nil || [.log, .snapshot, .recovery, .poisoned].contains(error.code))
        guard namesFiles else {
            self.init(code, full)
            return
        }
        let summary = code == .poisoned ? Self.poisonedSummary : "the server could not complete the request; its log says why"
        self.init(code, context.map { "\($0): \(summary)" } ?? summary, detail: full)
    }

    /// What a client without admin rights learns about a failed log.
    static let poisonedSummary =
        "the write-ahead log failed; writes are refused until a restart (the server's log and POST /admin/wal/status say why)"

    /// Converts whatever a handler threw into the error the client sees.
    static func from(_ error: any Error) -> GraphServerError {
        switch error {
        case let error as GraphServerError: return error
        case let error as GraphDatabaseError: return GraphServerError(error)
        case let error as HTTPError:
            switch error.status {
            case .notFound: return GraphServerError(.noRoute, "no route for this method and path")
            case .contentTooLarge: return GraphServerError(.payloadTooLarge, error.body ?? "the request body is too large")
            case .badRequest: return GraphServerError(.badRequest, error.body ?? "bad request")
            case .unauthorized: return GraphServerError(.unauthorized, error.body ?? "unauthorized")
            default: return GraphServerError(.internal, "the request failed (\(error.status.code))", detail: error.body)
            }
        default:
            return GraphServerError(.internal, "the server could not complete the request; its log says why", detail: "\(error)")
        }
    }
}
