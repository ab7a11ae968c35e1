import Hummingbird

/// Lets through only what this server's role allows: a read replica
/// refuses writes (and the admin routes, which write) with an error naming
/// the primary until it is promoted, and reads of the graph until it has
/// restored a starting point instead of answering from an empty graph; a
/// primary whose archive lease another server took over refuses writes,
/// so that clients do not go on committing into a history the archive
/// will never hold.
struct RoleGateMiddleware<Context: RequestContext>: RouterMiddleware {
    enum Guarding {
        /// `POST /tx`: refused on a replica and on a fenced primary.
        case writes
        /// The admin routes: refused on a replica (a fenced primary's
        /// operator still inspects and checkpoints its own log).
        case admin
        /// The graph's read routes: wait for a replica's starting point.
        case reads
    }

    let slot: DatabaseSlot
    let guarding: Guarding

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let replica = slot.replica {
            let status = replica.status
            switch guarding {
            case .writes where status.role != .primary, .admin where status.role != .primary:
                let primary = status.leaseHolder.map { "the primary, which holds its lease as \($0)" } ?? "its primary"
                throw GraphServerError(
                    .readOnlyReplica,
                    "this server is a read replica of \(replica.settings.location.url) and refuses writes: send them to \(primary), or promote this server with POST /admin/promote")
            case .reads where !status.isReady:
                throw GraphServerError(
                    .replicaNotReady,
                    "this replica has not restored its starting point from \(replica.settings.location.url) yet"
                        + (status.lastError.map { ": the last attempt failed: \($0)" } ?? "; try again shortly"))
            default:
                break
            }
        }
        if guarding == .writes, let archive = slot.archive, archive.archiver.status.isFenced {
            throw GraphServerError(
                .fenced,
                "another server took over the archive \(archive.settings.location.url) and is the primary now; this one refuses writes: \(archive.archiver.status.lastError ?? "fenced")")
        }
        return try await next(request, context)
    }
}
