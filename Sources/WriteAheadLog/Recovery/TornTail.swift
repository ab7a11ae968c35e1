/// Bytes after the last valid record of the active segment, with nothing
/// valid after them: what a crash mid-write leaves. `open` cuts them off.
public struct TornTail: Sendable, Equatable {
    public var segment: SegmentID
    public var path: String
    /// Where the last valid record ends; everything from here is cut.
    public var offset: UInt64
    /// The file size before cutting.
    public var fileBytes: UInt64
    public var reason: String
}
