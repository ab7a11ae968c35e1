/// What `open` did when the log ended below the fence it was opened with.
///
/// The snapshot the fence names covers every record the log held, and the
/// LSNs the log would have handed out next lay at or below the fence, where
/// the next recovery would have skipped them. So the old segments were moved
/// into `superseded/` (nothing deleted) and the log continues in a new
/// segment whose first LSN is `fence + 1`.
public struct FenceContinuation: Sendable, Equatable {
    /// The fence the log was opened with.
    public var fence: LSN
    /// The highest LSN the log held (or had reserved) before.
    public var logEnd: LSN
    /// The highest segment id moved aside; the new segment follows it.
    public var lastSetAside: SegmentID
    /// The segments moved into `superseded/`, oldest first.
    public var setAside: [QuarantinedFile]
}
