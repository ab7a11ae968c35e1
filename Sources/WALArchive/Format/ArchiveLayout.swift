import WriteAheadLog

/// Where each object of one archive lives in a store: every key starts
/// with the archive's prefix, and LSNs are written in 20 decimal digits so
/// that the byte order of a listing is LSN order.
///
/// ```
/// <prefix>/head                                   the head: what has been shipped (JSON)
/// <prefix>/lease                                  the writer's lease and epoch (JSON)
/// <prefix>/segments/<first LSN>-<last LSN>.seg    one immutable piece of the log
/// <prefix>/snapshots/<LSN>.snap                   a snapshot consistent with that LSN, immutable
/// ```
public struct ArchiveLayout: Sendable, Hashable {
    /// The prefix without leading or trailing `/`; empty for the store's root.
    public let prefix: String

    public init(prefix: String) {
        self.prefix = prefix.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }

    private func key(_ tail: String) -> String { prefix.isEmpty ? tail : prefix + "/" + tail }

    /// The head object, the one small object pollers read.
    public var headKey: String { key("head") }
    /// The lease: who may write the archive, at which epoch.
    public var leaseKey: String { key("lease") }
    /// The prefix every log piece's key starts with.
    public var segmentsPrefix: String { key("segments/") }
    /// The prefix every snapshot's key starts with.
    public var snapshotsPrefix: String { key("snapshots/") }

    /// The key of the piece holding LSNs `first...last`.
    public func pieceKey(first: LSN, last: LSN) -> String {
        key("segments/" + Self.digits(first.rawValue) + "-" + Self.digits(last.rawValue) + ".seg")
    }

    /// The key of the snapshot consistent with `lsn`.
    public func snapshotKey(lsn: LSN) -> String {
        key("snapshots/" + Self.digits(lsn.rawValue) + ".snap")
    }

    /// The LSN a snapshot key names, or `nil` for a key that is not a snapshot's.
    public func snapshotLSN(of key: String) -> LSN? {
        guard key.hasPrefix(snapshotsPrefix) else { return nil }
        let name = Array(key.utf8.dropFirst(snapshotsPrefix.utf8.count))
        // 20 digits, ".snap"
        guard name.count == 25, Array(name[20...]) == Array(".snap".utf8), let lsn = Self.number(name[0..<20]) else { return nil }
        return LSN(lsn)
    }

    /// The LSN range a piece key names, or `nil` for a key that is not a piece's.
    public func pieceRange(of key: String) -> ClosedRange<LSN>? {
        guard key.hasPrefix(segmentsPrefix) else { return nil }
        let name = Array(key.utf8.dropFirst(segmentsPrefix.utf8.count))
        // 20 digits, '-', 20 digits, ".seg"
        guard name.count == 45, name[20] == UInt8(ascii: "-"), Array(name[41...]) == Array(".seg".utf8),
            let first = Self.number(name[0..<20]), let last = Self.number(name[21..<41]), first <= last
        else { return nil }
        return LSN(first)...LSN(last)
    }

    static func digits(_ value: UInt64) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, 20 - text.count)) + text
    }

    static func number(_ bytes: ArraySlice<UInt8>) -> UInt64? {
        var value: UInt64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            if overflow || overflow2 { return nil }
            value = sum
        }
        return value
    }
}
