import WriteAheadLog

extension LogStatus {
    /// The status for a terminal: a segment table, then one line per fact.
    var lines: [String] {
        var lines = ["log directory: \(directory.path)"]
        var table = TextTable([
            ("id", .right), ("file", .left), ("base LSN", .right), ("first LSN", .right), ("last LSN", .right),
            ("bytes", .right), ("records", .right), ("sealed", .left),
        ])
        for segment in report.segments {
            table.add([
                "\(segment.id)", segment.id.fileName, "\(segment.baseLSN)", segment.firstLSN.dash,
                segment.lastLSN.dash, "\(segment.fileBytes)", "\(segment.records)", segment.isSealed ? "yes" : "no",
            ])
        }
        for segment in unreadSegments {
            table.add(["\(segment.id)", segment.name, "?", "?", "?", "\(segment.bytes)", "?", "not read: after the damage"])
        }
        lines.append("segments: \(directory.segments.count), \(ByteCount(directory.totalBytes))")
        lines += table.lines()
        lines.append("highest LSN: \(highestLSN.dash)")
        lines.append("next LSN: \(nextLSN)")
        if let torn = report.tornTail {
            lines.append(
                "torn tail: \(torn.path) offset \(torn.offset): \(torn.fileBytes - torn.offset) bytes after the last valid record (\(torn.reason)); cut on the next open or by `walctl repair`"
            )
        } else {
            lines.append("torn tail: none")
        }
        if let damage = report.damage {
            lines.append(
                "damage: \(damage.path) offset \(damage.offset), after LSN \(damage.lastGoodLSN.dash): \(damage.reason); run `walctl verify`"
            )
        }
        if let checkpoint = report.newestCheckpoint {
            lines.append("newest checkpoint: marker LSN \(checkpoint.markerLSN), snapshot LSN \(checkpoint.snapshotLSN)")
        } else {
            lines.append("newest checkpoint: none")
        }
        lines.append("lock: \(lockHolder.text)")
        lines.append(
            "transactions: \(committed) committed, \(report.transactionsAborted) aborted, \(report.transactionsIncomplete) incomplete"
        )
        for name in directory.temporaryFiles {
            lines.append("stale temporary file: \(name) (removed by the next open)")
        }
        if directory.hasQuarantine {
            lines.append("quarantine: \(joinPath(directory.path, "quarantine")) holds segments salvage set aside")
        }
        return lines
    }

    /// The status for programs (`--json`).
    var json: JSONValue {
        var segments: [JSONValue] = report.segments.map { segment in
            .object([
                ("id", .uint(segment.id.rawValue)),
                ("file", .string(segment.id.fileName)),
                ("path", .string(segment.path)),
                ("baseLSN", .lsn(segment.baseLSN)),
                ("firstLSN", .lsn(segment.firstLSN)),
                ("lastLSN", .lsn(segment.lastLSN)),
                ("bytes", .uint(segment.fileBytes)),
                ("validBytes", .uint(segment.validBytes)),
                ("records", .int(Int64(segment.records))),
                ("sealed", .bool(segment.isSealed)),
                ("read", .bool(true)),
            ])
        }
        segments += unreadSegments.map { segment in
            .object([
                ("id", .uint(segment.id.rawValue)),
                ("file", .string(segment.name)),
                ("path", .string(segment.path)),
                ("bytes", .uint(segment.bytes)),
                ("read", .bool(false)),
            ])
        }
        return .object([
            ("directory", .string(directory.path)),
            ("segments", .array(segments)),
            ("totalBytes", .uint(directory.totalBytes)),
            ("highestLSN", .lsn(highestLSN)),
            ("nextLSN", .lsn(nextLSN)),
            ("tornTail", .optional(report.tornTail) { torn in
                .object([
                    ("segment", .uint(torn.segment.rawValue)),
                    ("path", .string(torn.path)),
                    ("offset", .uint(torn.offset)),
                    ("fileBytes", .uint(torn.fileBytes)),
                    ("bytesToCut", .uint(torn.fileBytes - torn.offset)),
                    ("reason", .string(torn.reason)),
                ])
            }),
            ("damage", .optional(report.damage) { damage in
                .object([
                    ("segment", .uint(damage.segment.rawValue)),
                    ("path", .string(damage.path)),
                    ("offset", .uint(damage.offset)),
                    ("lastGoodLSN", .lsn(damage.lastGoodLSN)),
                    ("reason", .string(damage.reason)),
                ])
            }),
            ("newestCheckpoint", .optional(report.newestCheckpoint) { checkpoint in
                .object([
                    ("markerLSN", .lsn(checkpoint.markerLSN)),
                    ("snapshotLSN", .lsn(checkpoint.snapshotLSN)),
                ])
            }),
            ("locked", .bool(lockHolder.isHeld)),
            ("lockHolderPID", lockHolder.pid.map { .int(Int64($0)) } ?? .null),
            ("transactions", .object([
                ("committed", .int(Int64(committed))),
                ("aborted", .int(Int64(report.transactionsAborted))),
                ("incomplete", .int(Int64(report.transactionsIncomplete))),
            ])),
            ("temporaryFiles", .array(directory.temporaryFiles.map { .string($0) })),
            ("quarantine", .bool(directory.hasQuarantine)),
        ])
    }
}

extension LockHolder {
    /// "free", or "held by a live process (pid 1234)".
    var text: String {
        switch self {
        case .none: "free (no live process has the log open)"
        case .held(let pid): "held by a live process" + (pid.map { " (pid \($0))" } ?? "")
        }
    }
}
