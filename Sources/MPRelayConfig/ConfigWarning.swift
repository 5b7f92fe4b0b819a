/// Something legal but risky in a configuration, reported as a WARNING log line.
public struct ConfigWarning: Equatable, Sendable, CustomStringConvertible {
    /// The dotted key the warning is about.
    public let key: String
    /// What is risky and what to do instead.
    public let message: String

    /// A warning about `key`.
    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    /// `KEY: message`.
    public var description: String { "\(key): \(message)" }
}
