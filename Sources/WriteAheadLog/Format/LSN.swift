/// A log sequence number: the position of one record in the whole log.
///
/// LSNs strictly increase across every segment. `0` means "nothing": the first
/// record of a new log gets `1`. Running out is an error, never a wrap.
public struct LSN: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public init(integerLiteral value: UInt64) { self.rawValue = value }

    /// The "no record" value.
    public static let none = LSN(0)
    /// The first LSN a log hands out.
    public static let first = LSN(1)

    /// Whether this is the "no record" value.
    public var isNone: Bool { rawValue == 0 }

    /// The next LSN, or an `exhausted` error when the space is used up.
    public func successor() throws -> LSN {
        let (next, overflow) = rawValue.addingReportingOverflow(1)
        if overflow {
            throw WALError(.exhausted, "the LSN space is exhausted", lsn: self)
        }
        return LSN(next)
    }

    public static func < (lhs: LSN, rhs: LSN) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}
