import WriteAheadLog

/// One change `walctl repair` makes (or, in a dry run, would make).
///
/// Every step either cuts bytes that were never valid records off the end
/// of the active segment, or moves a file aside: none deletes anything.
enum RepairStep: Equatable {
    /// A temp file a crash left while creating a segment; the library's open
    /// would remove it, so walctl moves it into quarantine first.
    case moveTemporaryFile(path: String, to: String)
    /// Cut the active segment at the end of its last valid record.
    case cutTornTail(path: String, fileBytes: UInt64, offset: UInt64, lastLSN: LSN, reason: String)
    /// Salvage: copy the damaged segment aside, then cut it to its valid prefix.
    case keepValidPrefix(path: String, copy: String, offset: UInt64, lastGoodLSN: LSN)
    /// Salvage: move a damaged or later segment aside whole.
    case moveSegment(path: String, to: String)
    /// The library starts a new segment when the last one left is sealed.
    case createSegment(path: String, baseLSN: LSN)

    /// The step as a sentence, as planned (`would ...`) or as done.
    func sentence(done: Bool) -> String {
        switch self {
        case .moveTemporaryFile(let path, let destination):
            return (done ? "moved" : "would move") + " the stale temporary file \(path) to \(destination)"
        case .cutTornTail(let path, let fileBytes, let offset, let lastLSN, let reason):
            return (done ? "cut" : "would cut")
                + " the torn tail of \(path): \(fileBytes) -> \(offset) bytes, dropping \(fileBytes - offset) bytes after LSN \(lastLSN.dash) (\(reason))"
        case .keepValidPrefix(let path, let copy, let offset, let lastGoodLSN):
            return (done ? "copied" : "would copy")
                + " \(path) to \(copy), then cut \(path) to its valid prefix of \(offset) bytes (records up to LSN \(lastGoodLSN.dash))"
        case .moveSegment(let path, let destination):
            return (done ? "moved" : "would move") + " \(path) to \(destination)"
        case .createSegment(let path, let baseLSN):
            return (done ? "created" : "would create")
                + " \(path) with base LSN \(baseLSN), because the last segment left is sealed"
        }
    }
}
