/// A file that salvage recovery set aside.
public struct QuarantinedFile: Sendable, Equatable {
    public var original: String
    public var quarantined: String
    /// Whether the original was cut to its valid prefix (the damaged segment)
    /// or moved away whole (a later segment).
    public var keptValidPrefix: Bool
}
