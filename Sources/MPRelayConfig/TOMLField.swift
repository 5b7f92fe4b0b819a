import MPRelayProtocol
import TOMLKit

/// A TOML value with the file and dotted key it came from, so every type or range error can name
/// both. TOMLKit's own decoder reports type errors as "key not found", hence these checks.
struct TOMLField {
    let value: any TOMLValueConvertible
    let file: String
    let key: String

    func error(_ message: String) -> ConfigError {
        ConfigError(file: file, key: key, message: message)
    }

    private func wrongType(_ expected: String) -> ConfigError {
        error("expected \(expected), got \(Self.name(of: value.type))")
    }

    func integer(in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard value.type == .int, let number = value.int else { throw wrongType("an integer") }
        guard range.contains(number) else {
            throw error("\(number) is out of range: expected \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    func seconds(in range: ClosedRange<Double>) throws(ConfigError) -> Double {
        let number: Double
        switch value.type {
        case .double: number = value.double ?? .nan
        case .int: number = Double(value.int ?? 0)
        default: throw wrongType("a number of seconds")
        }
        guard number.isFinite, range.contains(number) else {
            throw error("\(number) is out of range: expected \(range.lowerBound) to \(range.upperBound) seconds")
        }
        return number
    }

    func boolean() throws(ConfigError) -> Bool {
        guard value.type == .bool, let flag = value.bool else { throw wrongType("true or false") }
        return flag
    }

    func string() throws(ConfigError) -> String {
        guard value.type == .string, let text = value.string else { throw wrongType("a string") }
        return text
    }

    func logLevel() throws(ConfigError) -> LogLevel {
        let text = try string()
        guard let level = LogLevel(rawValue: text.lowercased()) else {
            throw error("unknown log level \"\(text)\": expected one of \(LogLevel.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return level
    }

    /// A file mode: an integer (write octal as `0o660`) or a string of octal digits (`"0660"`).
    func fileMode() throws(ConfigError) -> UInt32 {
        let mode: Int
        switch value.type {
        case .int:
            mode = value.int ?? -1
        case .string:
            guard let text = value.string, let parsed = Int(text, radix: 8) else {
                throw error("\"\(value.string ?? "")\" is not an octal file mode like \"0660\"")
            }
            mode = parsed
        default:
            throw wrongType("a file mode such as 0o660 or \"0660\"")
        }
        guard (0...0o777).contains(mode) else { throw error("file mode \(String(mode, radix: 8)) is out of range 0 to 0777") }
        return UInt32(mode)
    }

    func digest() throws(ConfigError) -> HandshakeDigest {
        let text = try string()
        guard let digest = HandshakeDigest(rawValue: text) else {
            throw error("unknown digest \"\(text)\": expected one of \(HandshakeDigest.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return digest
    }

    func table() throws(ConfigError) -> TOMLTable {
        guard value.type == .table, let table = value.table else { throw wrongType("a table") }
        return table
    }

    func stringArray() throws(ConfigError) -> [String] {
        guard value.type == .array, let array = value.array else { throw wrongType("an array of strings") }
        var strings: [String] = []
        for (index, element) in array.enumerated() {
            guard element.type == .string, let text = element.string else {
                throw ConfigError(file: file, key: "\(key)[\(index + 1)]", message: "expected a string, got \(Self.name(of: element.type))")
            }
            strings.append(text)
        }
        return strings
    }

    static func name(of type: TOMLType) -> String {
        switch type {
        case .table: return "a table"
        case .array: return "an array"
        case .string: return "a string"
        case .int: return "an integer"
        case .double: return "a floating-point number"
        case .bool: return "a boolean"
        case .date: return "a date"
        case .time: return "a time"
        case .dateTime: return "a date-time"
        }
    }
}
