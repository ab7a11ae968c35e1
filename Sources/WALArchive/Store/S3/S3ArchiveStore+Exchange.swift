import Crypto
import Foundation

extension S3ArchiveStore {
    /// Runs `call` until it gets an answer that retrying would not change,
    /// or runs out of attempts, waiting with full jitter between attempts.
    ///
    /// - Parameters:
    ///   - attempts: instead of the policy's (an abort tries once).
    ///   - errorsMayComeWith200: the operation can fail with status 200 and
    ///     an `<Error>` body (CompleteMultipartUpload).
    /// - Returns: the last answer, successful or not; the caller maps a
    ///   failure to an ``ArchiveError``.
    /// - Throws: ``ArchiveError`` `.unreachable` when the last attempt got
    ///   no answer; `CancellationError`.
    func perform(_ call: S3Call, attempts: Int? = nil, errorsMayComeWith200: Bool = false) async throws -> S3Exchange {
        let limit = attempts ?? configuration.retry.attempts
        // Hashed once: every attempt signs the same body.
        let payloadHash = SigV4.hex(SHA256.hash(data: call.body))
        var mayHaveApplied = false
        var attempt = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            let request = try request(for: call, payloadHash: payloadHash, at: hooks.now())
            let response: S3HTTPResponse
            do {
                response = try await transport.send(request, timeout: configuration.requestTimeout)
            } catch let error as CancellationError {
                throw error
            } catch {
                if Task.isCancelled { throw CancellationError() }
                guard attempt < limit else {
                    throw ArchiveError(
                        .unreachable,
                        "cannot reach S3 at \(configuration.endpoint) for bucket '\(bucket)' after \(attempt) attempt\(attempt == 1 ? "" : "s"): \(error)",
                        key: call.subject, operation: call.operation)
                }
                mayHaveApplied = true
                try await hooks.sleep(hooks.jitter(configuration.retry.ceiling(beforeRetry: attempt)))
                continue
            }
            var document: S3ErrorDocument?
            if !response.succeeded || errorsMayComeWith200 {
                document = S3ErrorDocument(parsing: response.body)
            }
            let failed = !response.succeeded || document != nil
            if failed, Self.isRetryable(status: response.status, code: document?.code), attempt < limit {
                mayHaveApplied = true
                try await hooks.sleep(hooks.jitter(configuration.retry.ceiling(beforeRetry: attempt)))
                continue
            }
            return S3Exchange(response: response, error: document, attempts: attempt, earlierAttemptMayHaveApplied: mayHaveApplied)
        }
    }

    /// Failures that may pass on their own: the server's trouble (500,
    /// 502, 503, 504), throttling (429, `SlowDown`), and S3's
    /// `InternalError` and `RequestTimeout` (a 400 for a slow upload).
    static func isRetryable(status: Int, code: String?) -> Bool {
        if let code, ["SlowDown", "InternalError", "RequestTimeout", "ServiceUnavailable", "Throttling"].contains(code) {
            return true
        }
        return [429, 500, 502, 503, 504].contains(status)
    }

    /// The signed HTTP request of `call` at `date`; `payloadHash` is the
    /// hex SHA-256 of its body.
    func request(for call: S3Call, payloadHash: String, at date: Date) throws -> S3HTTPRequest {
        let endpoint = configuration.endpoint
        let virtualHost = configuration.usesVirtualHost(for: bucket)
        let authority = endpoint.authority(host: virtualHost ? "\(bucket).\(endpoint.host)" : endpoint.host)
        var path = virtualHost ? "" : "/" + bucket
        if let key = call.key {
            path += "/" + SigV4.encodePath(key)
        } else if path.isEmpty {
            path = "/"
        }
        let query = call.query.map { SigV4.uriEncode($0.name, keepSlash: false) + "=" + SigV4.uriEncode($0.value, keepSlash: false) }
            .joined(separator: "&")
        let url = "\(endpoint.scheme)://\(authority)\(path)" + (query.isEmpty ? "" : "?" + query)

        let amzDate = S3Time.amzDate(date)
        var headers: [(name: String, value: String)] = [
            ("host", authority), ("x-amz-date", amzDate), ("x-amz-content-sha256", payloadHash),
        ]
        if let token = configuration.sessionToken { headers.append(("x-amz-security-token", token)) }
        headers += call.headers
        let signature = try SigV4.sign(
            SigV4Request(method: call.method, path: path, query: call.query, headers: headers, payloadHash: payloadHash),
            credentials: configuration.credentials, region: configuration.region, service: "s3", date: amzDate)
        headers.append(("authorization", signature.authorization))
        return S3HTTPRequest(method: call.method, url: url, headers: headers, body: call.body)
    }
}
