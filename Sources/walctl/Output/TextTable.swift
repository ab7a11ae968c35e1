/// Columns aligned for a terminal: numbers to the right, text to the left.
struct TextTable {
    enum Alignment { case left, right }

    private let headers: [String]
    private let alignments: [Alignment]
    private var rows: [[String]] = []

    init(_ columns: [(String, Alignment)]) {
        headers = columns.map(\.0)
        alignments = columns.map(\.1)
    }

    mutating func add(_ row: [String]) {
        rows.append(row)
    }

    /// The table's lines, header first, each indented by `indent`.
    func lines(indent: String = "  ") -> [String] {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        return ([headers] + rows).map { row in
            var line = indent
            for (index, cell) in row.enumerated() where index < widths.count {
                if index > 0 { line += "  " }
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                let isLast = index == row.count - 1
                switch alignments[index] {
                case .left: line += isLast ? cell : cell + padding
                case .right: line += padding + cell
                }
            }
            return line
        }
    }
}
