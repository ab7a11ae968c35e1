/// Damage replay stopped at in salvage mode.
public struct DamageReport: Sendable, Equatable {
    public var segment: SegmentID
    public var path: String
    public var offset: UInt64
    /// The last LSN kept.
    public var lastGoodLSN: LSN
    public var reason: String
}
