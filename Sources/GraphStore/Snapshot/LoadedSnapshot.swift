import WriteAheadLog

/// A decoded snapshot: the store, the header it was stamped with, and the
/// log position it keeps (``GraphStore/loadSnapshot(_:)``).
public struct LoadedSnapshot: Sendable {
    public var store: GraphStore
    public var header: SnapshotHeader
    /// Where record `header.walLSN` (or one below it) starts in the log,
    /// when the snapshot was taken at a consistent cut of a log (format
    /// version 4 on); recovery passes it to `WAL.open` as `fencePosition`.
    public var logPosition: LogPosition?

    public var walLSN: LSN { header.walLSN }
}
