/// The lease object: which archiver may write the archive, and at which
/// epoch.
///
/// One writer per archive. An archiver takes the lease before its first
/// round (a create-if-absent, or a replace-if-match when it takes over) and
/// stamps its epoch into the head it writes; a second archiver finds the
/// lease held and refuses unless told to take over, which raises the
/// epoch. The old holder's next head update then fails (the head changed
/// under it), and when it reloads it finds a newer epoch and a lease that
/// is not its own: it is fenced, stops, and says so.
public struct ArchiveLease: Codable, Sendable, Equatable, ArchiveJSONDocument {
    public var format: Int
    /// Who holds the lease: a stable name of the writer (by default the
    /// host and the log directory), so a restarted writer is the same holder.
    public var holder: String
    /// Raised by one at every take-over; every head written carries it.
    public var epoch: UInt64
    /// When the holder took the lease (seconds since 1970, UTC).
    public var acquiredAt: Int64

    public static let currentFormat = 1

    public init(holder: String, epoch: UInt64, acquiredAt: Int64) {
        self.format = Self.currentFormat
        self.holder = holder
        self.epoch = epoch
        self.acquiredAt = acquiredAt
    }

    static let documentName = "lease"

    static func decode(_ bytes: [UInt8], key: String) throws -> ArchiveLease {
        try decodeDocument(bytes, key: key)
    }
}
