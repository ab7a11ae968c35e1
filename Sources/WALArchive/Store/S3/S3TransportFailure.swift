/// Why a request got no complete answer: the store cannot tell whether the
/// server acted on it, and retries.
package enum S3TransportFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// No complete answer within the request timeout.
    case timedOut(Duration)
    /// The connection could not be made or broke (refused, reset, DNS, TLS).
    case connection(String)

    package var description: String {
        switch self {
        case .timedOut(let timeout): "no complete answer within \(timeout)"
        case .connection(let reason): reason
        }
    }
}
