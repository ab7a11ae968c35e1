/// The identity of a node: a number the store hands out and never reuses.
///
/// A fresh store allocates `0`, then `1`, `2`, ... from its node counter.
/// Deleting a node (or clearing the store) does not rewind the counter, so an
/// id held by a client can go stale but never comes to mean another node.
/// A distinct type from ``RelationshipID`` so one cannot be passed for the other.
public struct NodeID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    /// The number itself, as the codec and the HTTP API carry it.
    public let rawValue: UInt64

    /// The node id with this number.
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    /// The node id with this number.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    /// The node id with this number, so tests can write `7`.
    public init(integerLiteral value: UInt64) { self.rawValue = value }

    /// Ids order by number, which is creation order.
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }
    /// The number in decimal.
    public var description: String { String(rawValue) }
}
