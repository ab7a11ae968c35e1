import WriteAheadLog

/// One thing `verify` found, located as precisely as the log allows.
struct Finding {
    enum Severity: String {
        /// Damage a strict open refuses: exit 2.
        case error
        /// Only a torn tail: exit 1.
        case tornTail = "torn-tail"
        /// Worth knowing, not wrong: no effect on the exit code.
        case note
    }

    var severity: Severity
    /// A stable word for scripts: `corruption`, `structural`, `torn-tail`,
    /// `missing-segment`, `lsn-gap`, `valid-prefix`, `stale-temporary-file`...
    var code: String
    var path: String?
    var offset: UInt64?
    var lsn: LSN?
    var message: String

    /// `error corruption: /log/0000000002.wal offset 1180 LSN 41: checksum mismatch ...`
    /// (the severity is not repeated when the code says it: `torn-tail: ...`).
    var line: String {
        var text = severity.rawValue == code ? code : "\(severity.rawValue) \(code)"
        var location = ""
        if let path { location += " \(path)" }
        if let offset { location += " offset \(offset)" }
        if let lsn, !lsn.isNone { location += " LSN \(lsn)" }
        if !location.isEmpty { text += ":" + location }
        return text + ": " + message
    }

    var json: JSONValue {
        .object([
            ("severity", .string(severity.rawValue)),
            ("code", .string(code)),
            ("path", .optional(path) { .string($0) }),
            ("offset", .optional(offset) { .uint($0) }),
            ("lsn", .optional(lsn) { .lsn($0) }),
            ("message", .string(message)),
        ])
    }
}
