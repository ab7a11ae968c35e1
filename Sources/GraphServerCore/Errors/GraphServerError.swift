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
        /// No route has this method and path.
        case noRoute = "no_route"
        /// The graph refuses the change (deleting a node that has relationships).
        case conflict
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
    }

    /// What kind of failure this is.
    public var code: Code
    /// What was wrong and where, in one line.
    public var message: String

    /// An error of kind `code`; `message` names the field, op, flag or path.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The HTTP status a response with this error carries.
    public var status: HTTPResponse.Status {
        switch code {
        case .badJSON, .badRequest, .invalidValue, .unavailable, .badSnapshot, .invalidConfiguration: .badRequest
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .unsupportedMediaType: .unsupportedMediaType
        case .notFound, .noRoute: .notFound
        case .conflict: .conflict
        case .payloadTooLarge: .contentTooLarge
        case .poisoned, .closed: .serviceUnavailable
        case .internal: .internalServerError
        }
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }

    /// The JSON body of an error response.
    public var json: JSONValue {
        ["error": ["code": .string(code.rawValue), "message": .string(message)]]
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
        let detail = error.graphError?.message ?? error.message
        var message = context.map { "\($0): \(detail)" } ?? detail
        if let path = error.path, !message.contains(path) { message += " (\(path))" }
        self.init(code, message)
    }

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
            default: return GraphServerError(.internal, error.body ?? "\(error.status)")
            }
        default:
            return GraphServerError(.internal, "\(error)")
        }
    }
}
