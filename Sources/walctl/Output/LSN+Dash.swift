import WriteAheadLog

extension LSN {
    /// The number, or "-" for "no record" (LSN 0), in tables and sentences.
    var dash: String { isNone ? "-" : description }
}
