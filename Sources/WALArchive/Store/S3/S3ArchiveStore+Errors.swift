import Foundation

extension S3ArchiveStore {
    /// The ``ArchiveError`` for a failed answer to `call`: named by what the
    /// operator can do about it, carrying S3's code, message and status.
    func failure(of call: S3Call, _ exchange: S3Exchange) -> ArchiveError {
        let status = exchange.status
        let code = exchange.code
        let said = exchange.error.map { $0.message.isEmpty ? $0.code : "\($0.code): \($0.message)" } ?? "HTTP \(status)"
        let retried = exchange.attempts > 1 ? " (after \(exchange.attempts) attempts)" : ""
        func error(_ kind: ArchiveError.Code, _ message: String) -> ArchiveError {
            ArchiveError(kind, message, key: call.subject, operation: call.operation, httpStatus: status, serviceCode: code)
        }
        if let skew = clockSkew(exchange) {
            return error(.clockSkew, skew)
        }
        if Self.conditionFailed(exchange) {
            let condition = call.headers.first { $0.name == "if-none-match" || $0.name == "if-match" }
                .map { "\($0.name): \($0.value)" } ?? "a condition"
            return error(.preconditionFailed, "the write's condition (\(condition)) did not hold: \(said)")
        }
        if code == "NoSuchBucket" {
            return error(.noSuchBucket, "bucket '\(bucket)' does not exist at \(configuration.endpoint)")
        }
        let accessCodes = [
            "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
            "AllAccessDisabled", "AccountProblem", "InvalidSecurity",
        ]
        if status == 403 || code.map(accessCodes.contains) == true {
            return error(
                .accessDenied,
                "S3 at \(configuration.endpoint) refused access to bucket '\(bucket)' (\(said)); check the credentials "
                    + "(AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), the region (\(configuration.region)) and the permissions")
        }
        if status == 404 && (code == nil || code == "NoSuchKey" || code == "NoSuchUpload") {
            return error(.notFound, "S3 has no such object in bucket '\(bucket)' (\(said))")
        }
        return error(.server, "S3 at \(configuration.endpoint) answered HTTP \(status) (\(said))\(retried)")
    }

    /// The clock-skew message when S3 refused the request's time: its
    /// `RequestTimeTooSkewed`, or a bodiless 403 (HEAD) whose `Date` is
    /// more than 15 minutes from this machine's clock.
    func clockSkew(_ exchange: S3Exchange) -> String? {
        let local = hooks.now()
        let serverTime: String
        if exchange.code == "RequestTimeTooSkewed" {
            serverTime = exchange.error?.serverTime ?? exchange.response.header("Date") ?? "unknown"
        } else if exchange.status == 403, exchange.error == nil, let header = exchange.response.header("Date"),
            let date = S3Time.parseHTTPDate(header), abs(date.timeIntervalSince(local)) > 15 * 60
        {
            serverTime = S3Time.iso8601(date)
        } else {
            return nil
        }
        var message = "this machine's clock is too far from the S3 server's: server time \(serverTime), local time \(S3Time.iso8601(local))"
        if let requested = exchange.error?.requestTime { message += " (the request was signed at \(requested))" }
        return message + "; S3 allows 15 minutes, so synchronise the clock (NTP)"
    }
}
