/// How long a commit waits before it returns.
public enum CommitDurability: Sendable, Equatable {
    /// As the sync mode says: durable under `always`, in the kernel otherwise.
    case syncMode
    /// Until an fsync covers the commit, whatever the sync mode.
    case durable
    /// Until the bytes are in the kernel, even under `always`; the caller
    /// waits for durability later with `waitUntilDurable(_:)`. This lets a
    /// caller that serialises its own commits (a database's writer lock)
    /// release its lock before the fsync, so its commits share fsyncs.
    case written

    /// Whether a commit waits for an fsync under `syncMode`.
    @inlinable
    func waitsForFsync(under syncMode: SyncMode) -> Bool {
        self == .durable || (self == .syncMode && syncMode == .always)
    }
}
