/// What parsing found at one offset of a segment.
enum FrameParse: Sendable, Equatable {
    /// A whole, valid record.
    case record(RecordFrame)
    /// The buffer ends inside a record of this total size; read more.
    case needMore(Int)
    /// A zero length field: unwritten (or preallocated) space.
    case zeros
    /// Bytes that are not a valid record.
    case damaged(String)
}
