import WriteAheadLog

/// One record of `walctl dump`, in either format, with its events rendered
/// by the decoders the run uses.
struct RecordLine {
    let record: RecordView
    let events: [EventDecoders.Rendered]

    init(_ record: RecordView, decoders: EventDecoders) {
        self.record = record
        self.events = decoders.renderEvents(of: record)
    }

    /// `lsn=5 kind=mutationBatch tx=3 segment=1 offset=85 size=120 payload=95 events=2: createNode(...) | hex:0a0b`
    var text: String {
        var text = "lsn=\(record.lsn) kind=\(record.kind)"
        if record.kind == .checkpoint {
            text += " snapshot=\(record.txBeginLSN)"
        } else {
            text += " tx=\(record.txBeginLSN)"
        }
        text += " segment=\(record.location.segment) offset=\(record.location.offset) size=\(record.size)"
        text += " payload=\(record.payload.count)"
        if record.kind == .mutation || record.kind == .mutationBatch {
            text += " events=\(events.count):"
            for (index, event) in events.enumerated() {
                text += index == 0 ? " " : " | "
                if let decoded = event.decoded {
                    text += decoded.text
                } else {
                    text += "hex:" + (event.hex ?? "")
                }
            }
        }
        return text
    }

    /// The record as one JSON object, for JSON Lines.
    var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("lsn", .uint(record.lsn.rawValue)),
            ("kind", .string(record.kind.description)),
        ]
        if record.kind == .checkpoint {
            members.append(("snapshotLSN", .uint(record.txBeginLSN.rawValue)))
        } else {
            members.append(("tx", .uint(record.txBeginLSN.rawValue)))
        }
        members += [
            ("segment", .uint(record.location.segment.rawValue)),
            ("offset", .uint(record.location.offset)),
            ("size", .int(Int64(record.size))),
            ("payloadBytes", .int(Int64(record.payload.count))),
        ]
        if record.kind == .mutation || record.kind == .mutationBatch {
            members.append(("events", .array(events.map(\.json))))
        }
        return .object(members)
    }
}

extension EventDecoders.Rendered {
    /// `{"bytes":40,"codec":"graph","type":"createNode","text":"..."}` or `{"bytes":3,"hex":"0a0b0c"}`.
    var json: JSONValue {
        var members: [(String, JSONValue)] = [("bytes", .int(Int64(byteCount)))]
        if let codec, let decoded {
            members += [("codec", .string(codec)), ("type", .string(decoded.kind)), ("text", .string(decoded.text))]
        } else {
            members.append(("hex", .string(hex ?? "")))
        }
        return .object(members)
    }
}
