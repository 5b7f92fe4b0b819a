/// The summary of one run: ordered metrics printed as a table, or as one JSON object.
struct Report {
    /// One metric's value.
    enum Value {
        case integer(Int)
        /// A measurement shown with `decimals` digits after the point.
        case number(Double, decimals: Int)
        case text(String)
    }

    /// One line of the table and one key of the JSON object.
    struct Row {
        /// The JSON key, snake_case.
        let key: String
        /// The table label, with its unit.
        let label: String
        let value: Value
    }

    /// `throughput`, `latency`, ...
    let workload: String
    /// The protocol and address measured, for the heading.
    let target: String
    private(set) var rows: [Row] = []

    init(workload: String, target: String) {
        self.workload = workload
        self.target = target
    }

    /// Appends a metric.
    mutating func add(_ key: String, _ label: String, _ value: Value) {
        rows.append(Row(key: key, label: label, value: value))
    }

    /// A two-column Markdown table under a heading line.
    func table() -> String {
        let cells = rows.map { ($0.label, Self.text($0.value)) }
        let labelWidth = max(6, cells.map(\.0.count).max() ?? 0)
        let valueWidth = max(5, cells.map(\.1.count).max() ?? 0)
        var lines = ["mprelay-bench \(workload): \(target)", ""]
        lines.append("| \(Self.pad("metric", labelWidth)) | \(Self.pad("value", valueWidth, right: true)) |")
        lines.append("|\(String(repeating: "-", count: labelWidth + 2))|\(String(repeating: "-", count: valueWidth + 1)):|")
        for (label, value) in cells {
            lines.append("| \(Self.pad(label, labelWidth)) | \(Self.pad(value, valueWidth, right: true)) |")
        }
        return lines.joined(separator: "\n")
    }

    /// One JSON object: `workload`, `target`, then every metric under its key, in order.
    func json() -> String {
        var members = ["\"workload\": \(Self.quoted(workload))", "\"target\": \(Self.quoted(target))"]
        for row in rows {
            let value: String
            switch row.value {
            case .integer(let number): value = String(number)
            case .number(let number, _): value = number.isFinite ? String(number) : "null"
            case .text(let text): value = Self.quoted(text)
            }
            members.append("\(Self.quoted(row.key)): \(value)")
        }
        return "{" + members.joined(separator: ", ") + "}"
    }

    private static func text(_ value: Value) -> String {
        switch value {
        case .integer(let number): return String(number)
        case .number(let number, let decimals): return format(number, decimals: decimals)
        case .text(let text): return text
        }
    }

    /// `number` rounded to `decimals` digits, without Foundation.
    static func format(_ number: Double, decimals: Int) -> String {
        guard number.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(number) * scale).rounded()
        let whole = Int(scaled / scale)
        let sign = number < 0 && scaled > 0 ? "-" : ""
        guard decimals > 0 else { return sign + String(whole) }
        let fraction = Int(scaled - Double(whole) * scale)
        let digits = String(fraction)
        return sign + String(whole) + "." + String(repeating: "0", count: decimals - digits.count) + digits
    }

    private static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
