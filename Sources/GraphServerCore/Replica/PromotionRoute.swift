import Hummingbird

/// `POST /admin/promote`: makes a read replica the primary (see
/// ``ServerReplica``). Behind the admin token like every admin route.
struct PromotionRoute: Sendable {
    let slot: DatabaseSlot
    let keys: IdempotencyKeys

    func register(on group: RouterGroup<BasicRequestContext>) {
        group.post("promote") { request, _ in try await promote(request) }
    }

    func promote(_ request: Request) async throws -> Response {
        _ = try await request.optionalJSONObject(limit: 64 << 10, allowed: [])
        guard let replica = slot.replica else {
            throw GraphServerError(.conflict, "this server is a primary, not a read replica (--replica-of): there is nothing to promote")
        }
        let promotion = try await replica.promote(slot: slot, keys: keys)
        return .json([
            "promoted": .bool(true),
            "archive": .string(replica.settings.location.url),
            "epoch": .integer(Int64(clamping: promotion.epoch)),
            "archivedLsn": .integer(Int64(clamping: promotion.archivedLSN)),
            "previousPrimary": promotion.previousHolder.map { .string($0) } ?? .null,
            "nodes": .integer(Int64(promotion.nodeCount)),
            "relationships": .integer(Int64(promotion.relationshipCount)),
        ])
    }
}
