/// The identity of a node: a number the store hands out and never reuses.
///
/// A fresh store allocates `0`, then `1`, `2`, ... from its node counter.
/// Deleting a node (or clearing the store) does not rewind the counter, so an
/// id held by a client can go stale but never comes to mean another node.
/// A distinct type from ``RelationshipID`` so one cannot be passed for the other.
public struct NodeID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public init(integerLiteral value: UInt64) { self.rawValue = value }

    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}
