extension ReplicaStatus {
    /// The replica's part of `/health`: its role and state for anyone, the
    /// figures for those the admin routes accept.
    func json(health: ArchiveHealth, revealingDetail: Bool, url: String) -> JSONValue {
        let state = role == .primary ? "ok" : isReady ? health.state.rawValue : "starting"
        var object = JSONObject([("role", .string(role.rawValue)), ("status", .string(state))])
        guard revealingDetail else { return .object(object) }
        object["url"] = .string(url)
        object["primary"] = leaseHolder.map { .string($0) } ?? .null
        object["appliedLsn"] = .integer(Int64(clamping: appliedLSN))
        object["archiveLsn"] = .integer(Int64(clamping: archiveLSN))
        object["lagLsns"] = .integer(Int64(clamping: health.lagLSNs))
        object["lagSeconds"] = .double(ArchiveHealth.milliseconds(health.lagSeconds))
        object["maxLagSeconds"] = .double(ArchiveHealth.milliseconds(health.maxLagSeconds))
        object["snapshotLsn"] = .integer(Int64(clamping: snapshotLSN))
        object["transactionsApplied"] = .integer(Int64(transactionsApplied))
        object["waitingFor"] = waitingFor.map { .string($0) } ?? .null
        object["lastError"] = lastError.map { .string($0) } ?? .null
        object["errors"] = .integer(Int64(errors))
        return .object(object)
    }

    /// Whether `/health` should say `degraded`: a following replica whose
    /// lag or failures passed `--archive-max-lag`.
    func isDegraded(_ health: ArchiveHealth) -> Bool {
        role == .following && health.state != .ok
    }
}
