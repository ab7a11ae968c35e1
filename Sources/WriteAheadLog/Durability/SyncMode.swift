/// When the log forces its bytes to stable storage.
///
/// In every mode a commit's bytes are handed to the kernel before the commit
/// returns, so killing the process loses nothing committed; the modes differ
/// in what an OS crash or power loss can lose.
public enum SyncMode: Sendable, Equatable, CustomStringConvertible {
    /// A background thread fsyncs every `interval` (default 50 ms): a power
    /// loss can lose the commits of the last interval.
    case groupSync(interval: Duration)
    /// A commit returns only once an fsync covers it. Committers that arrive
    /// while an fsync is in flight share the next one (group commit).
    case always
    /// fsync only at explicit `sync`, rotation and close.
    case none

    /// `groupSync` every 50 ms.
    public static let `default` = SyncMode.groupSync(interval: .milliseconds(50))

    public var description: String {
        switch self {
        case .groupSync(let interval):
            if let milliseconds = interval.wholeMilliseconds { return "groupSync(\(milliseconds) ms)" }
            return "groupSync(\(interval.components.seconds) s)"
        case .always: return "always"
        case .none: return "none"
        }
    }
}

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
}

extension Duration {
    /// The duration in whole milliseconds, or nil where that overflows
    /// `Int64`: a huge `groupSync` interval is a valid value (the flusher
    /// clamps it), and describing it must not trap.
    package var wholeMilliseconds: Int64? {
        let (seconds, attoseconds) = components
        let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        let (total, overflowAgain) = milliseconds.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return overflow || overflowAgain ? nil : total
    }
}
