import GraphStore
import WriteAheadLog

extension SnapshotInspection {
    var lines: [String] {
        var lines = ["snapshot: \(path) (\(fileBytes) bytes)"]
        switch header {
        case .failure(let error):
            lines.append("header: damaged: \(error)")
            lines.append("body: not checked (its length comes from the header)")
            return lines
        case .success(let header):
            lines += [
                "header: intact (format version \(header.version))",
                "walLSN: \(header.walLSN.isNone ? "none (0)" : header.walLSN.description)",
                "nodes: \(header.nodeCount)",
                "relationships: \(header.relationshipCount)",
                "next node id: \(header.nextNodeID)",
                "next relationship id: \(header.nextRelationshipID)",
                "body: \(header.bodyLength) bytes (snapshot size \(header.snapshotSize))",
            ]
        }
        lines.append("body checksum: \(bodyText)")
        switch logPosition {
        case .success(let position?)?: lines.append("log position: \(position)")
        case .success(nil)?: lines.append("log position: none")
        case .failure(let error)?: lines.append("log position: unreadable: \(error)")
        case nil: break
        }
        if decoded {
            lines.append("body decode: " + (decodeProblem.map { "failed: \($0)" } ?? "ok"))
        }
        return lines
    }

    private var bodyText: String {
        switch body {
        case .intact?: "ok"
        case .wrongSize(let expected, let actual)?:
            actual < expected
                ? "not checked: the file is truncated (\(actual) of \(expected) bytes)"
                : "not checked: \(actual - expected) unexpected bytes after the end (\(expected) expected)"
        case .checksumMismatch(let stored, let computed)?:
            "mismatch (stored \(Self.hex(stored)), computed \(Self.hex(computed))): the body is damaged"
        case nil: "not checked"
        }
    }

    var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("path", .string(path)),
            ("fileBytes", .uint(fileBytes)),
        ]
        switch header {
        case .failure(let error):
            members.append(("header", .object([("intact", .bool(false)), ("problem", .string(error.description))])))
        case .success(let header):
            members.append(
                ("header", .object([
                    ("intact", .bool(true)),
                    ("version", .int(Int64(header.version))),
                    ("walLSN", .uint(header.walLSN.rawValue)),
                    ("nodes", .uint(header.nodeCount)),
                    ("relationships", .uint(header.relationshipCount)),
                    ("nextNodeID", .uint(header.nextNodeID.rawValue)),
                    ("nextRelationshipID", .uint(header.nextRelationshipID.rawValue)),
                    ("bodyBytes", .uint(header.bodyLength)),
                    ("snapshotBytes", .uint(header.snapshotSize)),
                ])))
        }
        let bodyStatus: String
        switch body {
        case .intact?: bodyStatus = "ok"
        case .wrongSize?: bodyStatus = "wrong-size"
        case .checksumMismatch?: bodyStatus = "mismatch"
        case nil: bodyStatus = "not-checked"
        }
        members.append(("bodyChecksum", .string(bodyStatus)))
        members.append(("bodyDetail", .string(bodyText)))
        switch logPosition {
        case .success(let position?)?:
            members.append(
                ("logPosition", .object([
                    ("segment", .uint(position.segment.rawValue)), ("offset", .uint(position.offset)),
                    ("lsn", .uint(position.lsn.rawValue)),
                ])))
        case .success(nil)?: members.append(("logPosition", .null))
        case .failure(let error)?: members.append(("logPosition", .object([("problem", .string(error.description))])))
        case nil: break
        }
        if decoded {
            members.append(("decode", .string(decodeProblem.map { $0.description } ?? "ok")))
        }
        members.append(("exitCode", .int(Int64(status.rawValue))))
        return .object(members)
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
