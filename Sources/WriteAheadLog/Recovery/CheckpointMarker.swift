/// The newest checkpoint marker in the log.
public struct CheckpointMarker: Sendable, Equatable {
    /// The marker record's own LSN.
    public var markerLSN: LSN
    /// The LSN the snapshot it announces is consistent with.
    public var snapshotLSN: LSN
}
