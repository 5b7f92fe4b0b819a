/// A configuration problem, naming the file and the key at fault so the user can fix it.
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file the configuration came from, or `<embedded default>`.
    public let file: String
    /// The dotted key at fault, e.g. `broker.max_message_bytes` or `endpoint[2].address`; empty
    /// for a problem with the file as a whole.
    public let key: String
    /// What is wrong and what is expected.
    public let message: String

    public init(file: String, key: String, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }

    public var description: String {
        key.isEmpty ? "\(file): \(message)" : "\(file): \(key): \(message)"
    }
}

/// Something legal but risky in a configuration, reported as a WARNING log line.
public struct ConfigWarning: Equatable, Sendable, CustomStringConvertible {
    public let key: String
    public let message: String

    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    public var description: String { "\(key): \(message)" }
}
