/// The identity of a relationship: a number the store hands out and never reuses.
///
/// Allocated like ``NodeID`` (from `0`, one counter for relationships), and a
/// distinct type so a node id cannot be passed where a relationship id is meant.
public struct RelationshipID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public init(integerLiteral value: UInt64) { self.rawValue = value }

    public static func < (lhs: RelationshipID, rhs: RelationshipID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}
