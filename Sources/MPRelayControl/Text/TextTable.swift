/// A table of text in aligned columns, as `mprelayctl` prints them: a header row in capitals,
/// two spaces between columns, numbers aligned right, no trailing spaces.
public struct TextTable: Sendable {
    /// How a column's cells line up.
    public enum Alignment: Sendable {
        /// Padded on the right: names, addresses.
        case left
        /// Padded on the left: numbers.
        case right
    }

    /// One column: its header and alignment.
    public struct Column: Sendable {
        /// The header, printed as given.
        public var header: String
        /// How its cells line up.
        public var alignment: Alignment

        /// Creates a column.
        public init(_ header: String, _ alignment: Alignment = .left) {
            self.header = header
            self.alignment = alignment
        }
    }

    /// The columns, left to right.
    public var columns: [Column]
    /// The rows; each has one cell per column (missing cells print empty).
    public var rows: [[String]] = []

    /// Creates an empty table with `columns`.
    public init(_ columns: [Column]) {
        self.columns = columns
    }

    /// Adds a row.
    public mutating func append(_ row: [String]) {
        rows.append(row)
    }

    /// The table as lines joined by newlines, with a final newline.
    public func render() -> String {
        let all = [columns.map(\.header)] + rows
        let widths = columns.indices.map { column in
            all.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0
        }
        var text = ""
        for row in all {
            var cells: [String] = []
            for (index, column) in columns.enumerated() {
                let cell = index < row.count ? row[index] : ""
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                cells.append(column.alignment == .left ? cell + padding : padding + cell)
            }
            text += Self.trimmingTrailingSpaces(cells.joined(separator: "  ")) + "\n"
        }
        return text
    }

    /// `key  value` lines with the values lined up, for one record.
    public static func keyValue(_ pairs: [(String, String)]) -> String {
        let width = pairs.map(\.0.count).max() ?? 0
        return pairs.map { key, value in
            trimmingTrailingSpaces(key + String(repeating: " ", count: width - key.count) + "  " + value) + "\n"
        }.joined()
    }

    private static func trimmingTrailingSpaces(_ line: String) -> String {
        var line = line
        while line.last == " " { line.removeLast() }
        return line
    }
}
