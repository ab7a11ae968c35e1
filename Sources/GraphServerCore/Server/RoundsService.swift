import ServiceLifecycle

/// Runs rounds beside the HTTP server: one at start, then one every
/// `interval`; a failed round is retried at the next interval. A primary's
/// archive ships its log this way (`--archive`); a read replica follows
/// the archive, and once promoted ships its own log (`--replica-of`).
///
/// Listed before the database in the service group, so that a graceful
/// shutdown reaches it last: once the HTTP server has answered its last
/// request and the database has synced and closed its log, one final round
/// ships everything committed, for at most the archive's `finalRoundTimeout`.
struct RoundsService: Service {
    let interval: Duration
    let start: @Sendable () -> Void
    let round: @Sendable () async -> Void
    let finalRound: @Sendable () async -> Void

    static func archiving(_ archive: ServerArchive) -> RoundsService {
        RoundsService(
            interval: archive.settings.interval, start: { archive.announce() }, round: { await archive.round() },
            finalRound: { await archive.finalRound() })
    }

    static func replicating(_ replica: ServerReplica) -> RoundsService {
        RoundsService(
            interval: replica.settings.interval, start: {}, round: { await replica.round() },
            finalRound: { await replica.finalRound() })
    }

    func run() async {
        start()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await round()
            try? await cancelWhenGracefulShutdown { [interval] in try await Task.sleep(for: interval) }
        }
        // Cancelled (not shut down): the group is being torn down; no waiting.
        guard !Task.isCancelled else { return }
        await finalRound()
    }
}
