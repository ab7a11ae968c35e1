import WriteAheadLog

extension LogStatistics {
    /// Tables of records by kind, the transaction histogram and event bytes by kind.
    var lines: [String] {
        var lines: [String] = []
        var records = TextTable([("record kind", .left), ("records", .right), ("bytes", .right)])
        for kind in RecordKind.allCases {
            let tally = recordsByKind[kind] ?? Tally()
            records.add([kind.description, "\(tally.count)", "\(tally.bytes)"])
        }
        lines.append("records:")
        lines += records.lines()

        lines.append(
            "transactions: \(committed) committed, \(aborted) aborted, \(incomplete) incomplete; \(events) events")
        let histogram = eventsPerTransaction
        if let mean = histogram.mean, let minimum = histogram.minimum, let maximum = histogram.maximum {
            lines.append(
                "events per committed transaction: min \(minimum), mean \(Self.oneDecimal(mean)), max \(maximum)")
            var buckets = TextTable([("events", .right), ("transactions", .right)])
            for bucket in histogram.buckets {
                let range = bucket.low == bucket.high ? "\(bucket.low)" : "\(bucket.low)-\(bucket.high)"
                buckets.add([range, "\(bucket.count)"])
            }
            lines += buckets.lines()
        } else {
            lines.append("events per committed transaction: no committed transactions")
        }

        lines.append("event bytes by kind:")
        var kinds = TextTable([("event kind", .left), ("events", .right), ("bytes", .right)])
        for (kind, tally) in sortedEventKinds {
            kinds.add([kind, "\(tally.count)", "\(tally.bytes)"])
        }
        lines += eventsByKind.isEmpty ? ["  (no events)"] : kinds.lines()
        return lines
    }

    /// The statistics for programs; `damage` says where the count stopped, if it did.
    func json(stoppedAt damage: DamageReport?) -> JSONValue {
        .object([
            ("complete", .bool(damage == nil)),
            ("stoppedAt", .optional(damage) { damage in
                .object([
                    ("path", .string(damage.path)),
                    ("offset", .uint(damage.offset)),
                    ("lastGoodLSN", .lsn(damage.lastGoodLSN)),
                    ("reason", .string(damage.reason)),
                ])
            }),
            ("records", .object(RecordKind.allCases.map { kind in
                let tally = recordsByKind[kind] ?? Tally()
                return (kind.description, .object([("count", .int(Int64(tally.count))), ("bytes", .uint(tally.bytes))]))
            })),
            ("transactions", .object([
                ("committed", .int(Int64(committed))),
                ("aborted", .int(Int64(aborted))),
                ("incomplete", .int(Int64(incomplete))),
            ])),
            ("events", .int(Int64(events))),
            ("eventsPerTransaction", .object([
                ("min", .optional(eventsPerTransaction.minimum) { .int(Int64($0)) }),
                ("mean", .optional(eventsPerTransaction.mean) { .double($0) }),
                ("max", .optional(eventsPerTransaction.maximum) { .int(Int64($0)) }),
                ("histogram", .array(eventsPerTransaction.buckets.map { bucket in
                    .object([
                        ("low", .int(Int64(bucket.low))),
                        ("high", .int(Int64(bucket.high))),
                        ("transactions", .int(Int64(bucket.count))),
                    ])
                })),
            ])),
            ("eventBytesByKind", .object(sortedEventKinds.map { kind, tally in
                (kind, .object([("count", .int(Int64(tally.count))), ("bytes", .uint(tally.bytes))]))
            })),
        ])
    }

    /// Heaviest first, then by name, so the output is stable.
    private var sortedEventKinds: [(String, Tally)] {
        eventsByKind.sorted { $0.value.bytes != $1.value.bytes ? $0.value.bytes > $1.value.bytes : $0.key < $1.key }
            .map { ($0.key, $0.value) }
    }

    private static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
