/// The HTTP exchange under the S3 store: send one request, get the whole
/// answer. Behind a protocol so the store's retries, its handling of lost
/// answers and its error mapping are tested with a scripted fake; the real
/// one is ``AsyncHTTPClientTransport``.
package protocol S3Transport: Sendable {
    /// Sends `request` and reads the whole response within `timeout`.
    ///
    /// - Throws: ``S3TransportFailure`` when no complete answer arrived (the
    ///   store retries those), or `CancellationError`.
    func send(_ request: S3HTTPRequest, timeout: Duration) async throws -> S3HTTPResponse
}
