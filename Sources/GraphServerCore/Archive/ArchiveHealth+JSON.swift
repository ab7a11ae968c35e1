extension ArchiveHealth {
    /// The `archive` member of `/health`: its state for anyone; the figures,
    /// the URL and the last error (which can name files and errno) only
    /// when `revealingDetail`, for callers the admin routes would accept.
    func json(revealingDetail: Bool, url: String) -> JSONValue {
        var object = JSONObject([("status", .string(state.rawValue))])
        guard revealingDetail else { return .object(object) }
        object["url"] = .string(url)
        object["archivedLsn"] = .integer(Int64(clamping: status.archivedLSN))
        object["logLsn"] = .integer(Int64(clamping: logLSN))
        object["lagLsns"] = .integer(Int64(clamping: lagLSNs))
        object["lagSeconds"] = .double(Self.milliseconds(lagSeconds))
        object["maxLagSeconds"] = .double(Self.milliseconds(maxLagSeconds))
        object["lastRoundFailed"] = .bool(lastRoundFailed)
        object["failingSeconds"] = .double(Self.milliseconds(failingSeconds))
        object["lastError"] = status.lastError.map { .string($0) } ?? .null
        object["errors"] = .integer(Int64(status.errors))
        object["objectsShipped"] = .integer(Int64(status.objectsShipped))
        object["bytesShipped"] = .integer(Int64(status.bytesShipped))
        object["snapshotLsn"] = .integer(Int64(clamping: status.snapshotLSN))
        return .object(object)
    }

    /// Seconds rounded to the millisecond: no 17-digit noise in the JSON.
    static func milliseconds(_ seconds: Double) -> Double { (seconds * 1000).rounded() / 1000 }
}
