import ServiceLifecycle

/// Runs a replica's rounds beside the HTTP server: follows the archive
/// every `--archive-interval` and, once promoted, archives the log at the
/// same pace. Listed where a primary's ``ArchiveService`` is, so a
/// promoted server's graceful shutdown makes the same final round.
struct ReplicaService: Service {
    let replica: ServerReplica

    func run() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await replica.round()
            let interval = replica.settings.interval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        guard !Task.isCancelled else { return }
        await replica.finalRound()
    }
}
