import WriteAheadLog

extension Verification {
    /// The verdict, each finding on its own line, then what was checked.
    var lines: [String] {
        var lines = ["\(directory.path): \(verdict)"]
        lines += findings.map { "  " + $0.line }
        lines.append(
            "checked \(report.segments.count) of \(directory.segments.count) segments, \(recordCount) records in \(ByteCount(validBytes)) of valid segment data; highest valid LSN \(report.maxLSN.dash)"
        )
        return lines
    }

    var json: JSONValue {
        .object([
            ("directory", .string(directory.path)),
            ("verdict", .string(verdict)),
            ("exitCode", .int(Int64(status.rawValue))),
            ("findings", .array(findings.map(\.json))),
            ("segmentsChecked", .int(Int64(report.segments.count))),
            ("segmentsOnDisk", .int(Int64(directory.segments.count))),
            ("records", .int(Int64(recordCount))),
            ("validBytes", .uint(validBytes)),
            ("highestValidLSN", .lsn(report.maxLSN)),
        ])
    }

    private var recordCount: Int { report.segments.reduce(0) { $0 + $1.records } }

    /// Headers and valid records of the segments read, up to any damage.
    private var validBytes: UInt64 { report.segments.reduce(0) { $0 + $1.validBytes } }
}
