import MPRelayCommon
import MPRelayConfigFile
import MPRelayProtocol
import MPRelayTOML

/// A TOML value with the file, position and dotted key it came from, so that every type or
/// range error can name all three.
struct TOMLField {
    let node: TOMLNode
    let file: String
    let key: String

    var value: TOMLValue { node.value }

    /// An error about this field.
    func error(_ message: String) -> ConfigError {
        error(key: key, message)
    }

    /// An error at this field's position about `key`, such as a key missing from this table.
    func error(key: String, _ message: String) -> ConfigError {
        ConfigError(file: file, line: node.position.line, column: node.position.column, key: key, message: message)
    }

    /// The entry `name` of this table as a field, or nil when it is not set; this field must
    /// be a table (checked by ``table()``).
    func field(_ name: String) -> TOMLField? {
        guard case .table(let table) = value, let entry = table[name] else { return nil }
        return TOMLField(node: entry, file: file, key: key.isEmpty ? name : "\(key).\(name)")
    }

    /// The entries of this table, sorted by name, so that the first bad one reported is the
    /// same every time.
    func entries() throws(ConfigError) -> [(name: String, field: TOMLField)] {
        try table().entries.sorted { $0.key < $1.key }.map { name, node in
            (name, TOMLField(node: node, file: file, key: key.isEmpty ? name : "\(key).\(name)"))
        }
    }

    /// The elements of this array as fields named `KEY[1]`, `KEY[2]`, ...
    func elements(or message: String) throws(ConfigError) -> [TOMLField] {
        guard case .array(let elements) = value else { throw error(message) }
        return elements.enumerated().map { TOMLField(node: $1, file: file, key: "\(key)[\($0 + 1)]") }
    }

    private func wrongType(_ expected: String) -> ConfigError {
        error("expected \(expected), got \(value.typeDescription)")
    }

    func integer(in range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard case .integer(let number) = value else { throw wrongType("an integer") }
        guard let fitting = Int(exactly: number), range.contains(fitting) else {
            throw error("\(number) is out of range: expected \(range.lowerBound) to \(range.upperBound)")
        }
        return fitting
    }

    func seconds(in range: ClosedRange<Double>) throws(ConfigError) -> Double {
        let number: Double
        switch value {
        case .float(let float): number = float
        case .integer(let integer): number = Double(integer)
        default: throw wrongType("a number of seconds")
        }
        guard number.isFinite, range.contains(number) else {
            throw error("\(number) is out of range: expected \(range.lowerBound) to \(range.upperBound) seconds")
        }
        return number
    }

    func boolean() throws(ConfigError) -> Bool {
        guard case .boolean(let flag) = value else { throw wrongType("true or false") }
        return flag
    }

    /// A string without NUL characters: every string of the configuration reaches a C call (a
    /// path, a user name, a glob pattern) that would silently cut it at the first NUL. Only an
    /// address may hold one, for Python's `"\0name"` spelling of an abstract socket name.
    func string(allowingNUL: Bool = false) throws(ConfigError) -> String {
        guard case .string(let text) = value else { throw wrongType("a string") }
        guard allowingNUL || !text.utf8.contains(0) else { throw error("a NUL character (\\u0000) is not allowed here") }
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
        let mode: Int64
        switch value {
        case .integer(let number):
            mode = number
        case .string(let text):
            guard let parsed = Int64(text, radix: 8) else { throw error("\"\(text)\" is not an octal file mode like \"0660\"") }
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
        guard case .table(let table) = value else { throw wrongType("a table") }
        return table
    }

    func stringArray() throws(ConfigError) -> [String] {
        guard case .array = value else { throw wrongType("an array of strings") }
        var strings: [String] = []
        for element in try elements(or: "expected an array of strings") {
            strings.append(try element.string())
        }
        return strings
    }

    /// Refuses any key of this table not in `allowed`, naming the first (in sorted order).
    func rejectUnknownKeys(allowed: [String]) throws(ConfigError) {
        for (name, entry) in try entries() where !allowed.contains(name) {
            throw entry.error("unknown key: expected one of \(allowed.joined(separator: ", "))")
        }
    }
}
