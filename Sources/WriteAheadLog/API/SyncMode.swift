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
