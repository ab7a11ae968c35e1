import WriteAheadLog

/// What `walctl stats` counts in one pass over the log: records by kind,
/// transactions by outcome, events per committed transaction, and bytes
/// by event kind.
struct LogStatistics {
    struct Tally {
        var count = 0
        var bytes: UInt64 = 0
    }

    private(set) var recordsByKind: [RecordKind: Tally] = [:]
    private(set) var eventsByKind: [String: Tally] = [:]
    private(set) var eventsPerTransaction = Histogram()
    private(set) var committed = 0
    private(set) var aborted = 0
    private(set) var events = 0
    /// Event counts of the transactions still open, by begin LSN.
    private var open: [LSN: Int] = [:]

    let decoders: EventDecoders

    init(decoders: EventDecoders) {
        self.decoders = decoders
    }

    /// Transactions with no commit or abort by the end of what was read.
    var incomplete: Int { open.count }

    mutating func add(_ record: RecordView) {
        recordsByKind[record.kind, default: Tally()].count += 1
        recordsByKind[record.kind, default: Tally()].bytes += UInt64(record.size)
        switch record.kind {
        case .txBegin:
            open[record.lsn] = 0
        case .mutation, .mutationBatch:
            let rendered = decoders.renderEvents(of: record)
            open[record.txBeginLSN, default: 0] += rendered.count
            events += rendered.count
            for event in rendered {
                eventsByKind[event.kind, default: Tally()].count += 1
                eventsByKind[event.kind, default: Tally()].bytes += UInt64(event.byteCount)
            }
        case .txCommit:
            eventsPerTransaction.add(open.removeValue(forKey: record.txBeginLSN) ?? 0)
            committed += 1
        case .txAbort:
            open.removeValue(forKey: record.txBeginLSN)
            aborted += 1
        case .checkpoint:
            break
        }
    }
}
