import WriteAheadLog

/// The names the server's flags and JSON use for sync modes.
enum SyncModeName {
    static func name(of mode: SyncMode) -> String {
        switch mode {
        case .groupSync: "group-sync"
        case .always: "always"
        case .none: "none"
        }
    }
}
