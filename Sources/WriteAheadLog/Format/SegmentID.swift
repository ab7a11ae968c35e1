/// The number of one segment file; its name is the number in ten digits.
///
/// Ids start at 1 and grow by one at each rotation. The highest id on disk is
/// the active segment: there is no pointer file that could disagree with the
/// listing after a crash.
public struct SegmentID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt64

    public init(rawValue: UInt64) { self.rawValue = rawValue }
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// The id of the first segment of a new log.
    public static let first = SegmentID(1)
    /// Ten digits is the canonical width; ids past it cannot be named.
    public static let maximum = SegmentID(9_999_999_999)
    static let nameDigits = 10
    static let fileExtension = ".wal"

    /// The canonical file name, `0000000001.wal`.
    public var fileName: String {
        let digits = String(rawValue)
        return String(repeating: "0", count: max(0, Self.nameDigits - digits.count)) + digits
            + Self.fileExtension
    }

    /// Parses a canonical name; any other name (temp files, the lock, a
    /// stray `7.wal`) is not a segment and yields nil.
    public init?(fileName: String) {
        guard fileName.hasSuffix(Self.fileExtension) else { return nil }
        let digits = fileName.utf8.prefix(fileName.utf8.count - Self.fileExtension.utf8.count)
        guard digits.count == Self.nameDigits, digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            return nil
        }
        var value: UInt64 = 0
        for digit in digits { value = value * 10 + UInt64(digit - 48) }
        guard value > 0 else { return nil }
        self.rawValue = value
    }

    /// The next id, or an `exhausted` error past ``maximum``.
    public func successor() throws -> SegmentID {
        guard self < Self.maximum else {
            throw WALError(.exhausted, "the segment id space is exhausted after \(rawValue)")
        }
        return SegmentID(rawValue + 1)
    }

    public static func < (lhs: SegmentID, rhs: SegmentID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { String(rawValue) }
}
