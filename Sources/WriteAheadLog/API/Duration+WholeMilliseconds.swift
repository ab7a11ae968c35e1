extension Duration {
    /// The duration in whole milliseconds, or nil where that overflows
    /// `Int64`: a huge `groupSync` interval is a valid value (the flusher
    /// clamps it), and describing it must not trap.
    package var wholeMilliseconds: Int64? {
        let (seconds, attoseconds) = components
        let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        let (total, overflowAgain) = milliseconds.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return overflow || overflowAgain ? nil : total
    }
}
