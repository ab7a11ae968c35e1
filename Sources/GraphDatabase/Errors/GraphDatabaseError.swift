import GraphStore
import WriteAheadLog

/// The one error type of the `GraphDatabase` layer.
///
/// `code` is for programs (the HTTP server maps it to a status); the
/// message names what failed and where, for people.
public struct GraphDatabaseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// The configuration cannot work (a path that is not a directory, a bad limit).
        case invalidConfiguration
        /// A node or relationship the operation needs does not exist.
        case notFound
        /// The graph refuses the change (deleting a node that has relationships, an id in use).
        case conflict
        /// A value the graph cannot store (nested too deep).
        case invalidValue
        /// The write-ahead log failed earlier; writes are refused until a restart.
        case poisoned
        /// The write-ahead log reported an error.
        case log
        /// A snapshot could not be written, read or decoded.
        case snapshot
        /// Recovery could not rebuild the graph.
        case recovery
        /// The operation needs something this database was opened without
        /// (a snapshot location, a log).
        case unavailable
        /// The database was closed.
        case closed
        /// The operation would silently discard committed transactions
        /// (loading the newest snapshot over later commits); the message
        /// says what would be lost and how to proceed.
        case wouldDiscardCommits
    }

    public var code: Code
    public var message: String
    /// The file involved, if any.
    public var path: String?
    /// The underlying log error, when the log failed.
    public var logError: WALError?
    /// The underlying graph error, when the graph refused.
    public var graphError: GraphStoreError?

    public init(
        _ code: Code, _ message: String, path: String? = nil, logError: WALError? = nil,
        graphError: GraphStoreError? = nil
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.logError = logError
        self.graphError = graphError
    }

    public var description: String {
        var text = "graph database \(code.rawValue)"
        if let path { text += " (\(path))" }
        return text + ": " + message
    }

    /// Wraps a graph store refusal, keeping its code meaningful.
    static func graph(_ error: GraphStoreError) -> GraphDatabaseError {
        let code: Code
        switch error.code {
        case .nodeNotFound, .relationshipNotFound: code = .notFound
        case .nodeHasRelationships, .idInUse, .idSpaceExhausted, .uniqueConstraintViolation, .indexConflict,
            .indexNotFound:
            code = .conflict
        case .invalidValue: code = .invalidValue
        case .snapshotCorrupt, .snapshotChecksumMismatch, .unsupportedSnapshotVersion: code = .snapshot
        }
        return GraphDatabaseError(code, error.description, graphError: error)
    }

    /// Wraps a log error; a poisoned log keeps its own code so callers can tell.
    static func log(_ error: WALError, _ context: String) -> GraphDatabaseError {
        GraphDatabaseError(
            error.code == .poisoned ? .poisoned : .log, "\(context): \(error)", path: error.path, logError: error)
    }

    /// Converts any error thrown below this layer.
    static func wrap(_ error: any Error, _ context: String) -> GraphDatabaseError {
        switch error {
        case let error as GraphDatabaseError: error
        case let error as GraphStoreError: .graph(error)
        case let error as WALError: .log(error, context)
        default: GraphDatabaseError(.log, "\(context): \(error)")
        }
    }
}
