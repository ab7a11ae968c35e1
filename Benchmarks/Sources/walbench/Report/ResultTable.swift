/// Renders result rows as one aligned text table, with each WAL (and graph
/// database) row's throughput as a ratio of the peers' and the device's in
/// the same workload.
struct ResultTable {
    let rows: [ResultRow]

    func render() -> String {
        let headers = [
            "workload", "system", "writers", "commits/s", "events/s", "p50 µs", "p99 µs", "MB/s", "peak RSS",
            "vs sqlite", "vs rocksdb", "vs device",
        ]
        var cells: [[String]] = []
        for row in rows {
            // Our rows get ratios to the peers; the peers' rows only to the device.
            let isOurs = [SystemName.wal, .walAsync, .graphdb].contains { $0.rawValue == row.system }
            cells.append([
                row.workload, row.system, String(row.writers),
                Self.grouped(row.commitsPerSecond), Self.grouped(row.eventsPerSecond),
                row.p50Micros.map(Self.micros) ?? "-", row.p99Micros.map(Self.micros) ?? "-",
                Self.decimal(row.mbPerSecond), row.peakRSSBytes.map(Self.mebibytes) ?? "-",
                isOurs ? ratio(row, to: .sqlite) : "", isOurs ? ratio(row, to: .rocksdb) : "",
                row.system == SystemName.device.rawValue ? "" : ratio(row, to: .device),
            ])
        }
        var widths = headers.map { $0.count }
        for line in cells {
            for (column, cell) in line.enumerated() { widths[column] = max(widths[column], cell.count) }
        }
        func format(_ line: [String]) -> String {
            line.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column < 2 ? cell + padding : padding + cell
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        var text = format(headers) + "\n"
        text += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for line in cells { text += format(line) + "\n" }
        return text
    }

    /// This row's commits per second over the peer's in the same workload.
    private func ratio(_ row: ResultRow, to peer: SystemName) -> String {
        guard let other = rows.first(where: { $0.workload == row.workload && $0.system == peer.rawValue }),
            other.commitsPerSecond > 0
        else { return "-" }
        let value = row.commitsPerSecond / other.commitsPerSecond
        return (value >= 10 ? Self.decimal(value, places: 1) : Self.decimal(value, places: 2)) + "x"
    }

    static func grouped(_ value: Double) -> String {
        let digits = String(Int(value.rounded()))
        var result = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0 && index % 3 == 0 { result.append(",") }
            result.append(character)
        }
        return String(result.reversed())
    }

    static func micros(_ value: Double) -> String {
        value >= 1000 ? grouped(value) : decimal(value, places: 1)
    }

    static func mebibytes(_ bytes: Int) -> String {
        decimal(Double(bytes) / 1_048_576, places: 1) + " MiB"
    }

    static func decimal(_ value: Double, places: Int = 1) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale)
        let fraction = String(scaled % Int(scale))
        guard places > 0 else { return String(whole) }
        return "\(whole)." + String(repeating: "0", count: places - fraction.count) + fraction
    }
}

private extension String {
    /// Empty trailing columns (the device rows' ratios) leave no padding behind.
    func trimmingTrailingSpaces() -> String {
        var result = Substring(self)
        while result.last == " " { result = result.dropLast() }
        return String(result)
    }
}
