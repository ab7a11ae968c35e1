/// The settings as given on the command line, unchecked: each is nil when
/// its flag is absent, so that ``ServerConfiguration/resolve(_:environment:)``
/// can fall back to the environment and then to the default.
public struct ServerFlags: Sendable {
    /// Values given on the command line, by setting.
    public var values: [ServerSetting: String] = [:]
    /// Switches given on the command line (`--in-memory`, `--allow-open-admin`).
    public var switches: Set<ServerSetting> = []

    /// Flags as parsed from the command line.
    public init(values: [ServerSetting: String] = [:], switches: Set<ServerSetting> = []) {
        self.values = values
        self.switches = switches
    }
}
