/// The identity of a relationship: a number the store hands out and never reuses.
///
/// Allocated like ``NodeID`` (from `0`, one counter for relationships), and a
/// distinct type so a node id cannot be passed where a relationship id is meant.
public struct RelationshipID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    /// The number itself, as the codec and the HTTP API carry it.
    public let rawValue: UInt64

    /// The relationship id with this number.
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// The relationship id with this number.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    /// The relationship id with this number, so tests can write `7`.
    public init(integerLiteral value: UInt64) { self.rawValue = value }

    /// Ids order by number, which is creation order.
    public static func < (lhs: RelationshipID, rhs: RelationshipID) -> Bool { lhs.rawValue < rhs.rawValue }
    /// The number in decimal.
    public var description: String { String(rawValue) }
}
