import ServiceLifecycle

/// Runs archive rounds beside the HTTP server: one at start, then one every
/// `--archive-interval`; a failed round is retried at the next interval.
///
/// Listed before the database in the service group, so that a graceful
/// shutdown reaches it last: once the HTTP server has answered its last
/// request and the database has synced and closed its log, one final round
/// ships everything committed, for at most `finalRoundTimeout`.
struct ArchiveService: Service {
    let archive: ServerArchive

    func run() async {
        archive.announce()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await archive.round()
            let interval = archive.settings.interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        // Cancelled (not shut down): the group is being torn down; no waiting.
        guard !Task.isCancelled else { return }
        await archive.finalRound()
    }
}
