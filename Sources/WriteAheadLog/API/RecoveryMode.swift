/// How much damage `open` and replay accept (after RocksDB's WAL recovery modes).
public enum RecoveryMode: String, Sendable, CaseIterable {
    /// The default. A torn tail of the active segment (what a crash leaves:
    /// bytes after the last valid record, with nothing valid after them) is
    /// cut off; any other damage refuses to open, naming file, offset and LSN.
    case strict
    /// Stops at the first damaged or invalid record anywhere and keeps what
    /// precedes it. `open` copies the damaged segment and moves every later
    /// segment into `quarantine/` (never deleting anything) and reports
    /// exactly what it set aside.
    case salvage
}
