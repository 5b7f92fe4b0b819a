/// A configuration problem, naming the file, the line and column, and the key at fault so the
/// user can fix it.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file the configuration came from, or `<embedded default>`.
    public let file: String
    /// The line of the file at fault, from 1; nil when the file could not be read at all.
    public let line: Int?
    /// The column (in characters, from 1) at fault, with ``line``.
    public let column: Int?
    /// The dotted key at fault, e.g. `broker.max_message_bytes` or `endpoint[2].address`; empty
    /// for a syntax error or a problem with the file as a whole.
    public let key: String
    /// What is wrong and what is expected.
    public let message: String

    /// A problem at `line` and `column` of `file` (both nil when it has no place in the file).
    public init(file: String, line: Int? = nil, column: Int? = nil, key: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
    }

    /// `FILE:LINE:COLUMN: KEY: message`, the form compilers use; the place or the key left out
    /// when there is none.
    public var description: String {
        var text = file
        if let line, let column { text += ":\(line):\(column)" }
        if !key.isEmpty { text += ": \(key)" }
        return text + ": " + message
    }
}
