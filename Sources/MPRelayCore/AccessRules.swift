import Glibc

/// What a principal's clients may do: the `may_register`, `may_send_to` and `may_list` rules.
///
/// Rules deny by default: a name matches no pattern unless one is listed. Patterns are globs
/// (`*`, `?`, `[...]`) as `fnmatch(3)` reads them.
public struct AccessRules: Equatable, Sendable {
    /// Glob patterns of the names its clients may register.
    public var mayRegister: [String]
    /// Glob patterns of the names its clients may send to.
    public var maySendTo: [String]
    /// Whether its clients may list peers and watch presence.
    public var mayList: Bool

    /// Rules that allow exactly what is listed.
    public init(mayRegister: [String], maySendTo: [String], mayList: Bool) {
        self.mayRegister = mayRegister
        self.maySendTo = maySendTo
        self.mayList = mayList
    }

    /// Whether a client may register `name`; a refusal cites the rule.
    public func register(_ name: String) -> AccessDecision {
        Self.firstMatch(of: name, in: mayRegister) != nil ? .allowed : .denied(rule: "may_register \(mayRegister)")
    }

    /// Whether a client may send to the peer named by these bytes (as a SEND carries them).
    public func send(to name: UnsafeRawBufferPointer) -> AccessDecision {
        if maySendTo.contains("*") { return .allowed }
        let allowed = Self.firstMatch(of: String(decoding: name, as: UTF8.self), in: maySendTo) != nil
        return allowed ? .allowed : .denied(rule: sendRule)
    }

    /// The `may_send_to` rule as a refusal cites it.
    public var sendRule: String { "may_send_to \(maySendTo)" }

    /// Whether a client may list peers and watch presence.
    public func list() -> AccessDecision {
        mayList ? .allowed : .denied(rule: "may_list = false")
    }

    /// The pattern of `patterns` that `name` matches, or nil: the rule to cite in a log line.
    public static func firstMatch(of name: String, in patterns: [String]) -> String? {
        patterns.first { fnmatch($0, name, 0) == 0 }
    }
}

/// The verdict of an ``AccessRules`` check.
public enum AccessDecision: Equatable, Sendable {
    /// The action is allowed.
    case allowed
    /// The action is refused by `rule`, as a log line cites it.
    case denied(rule: String)
}
