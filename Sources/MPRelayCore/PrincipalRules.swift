/// A principal as the relay enforces it: its name, its access rules, its quotas and what a name
/// conflict does. Built at the edge from the configuration's principal.
public struct PrincipalRules: Equatable, Sendable {
    /// What happens when a client registers a name that is already registered.
    public enum NameConflict: Equatable, Sendable {
        /// The newcomer is refused with `name taken`.
        case refuse
        /// The old holder is told who took over and disconnected; the newcomer gets the name.
        case replace
    }

    /// The principal's name, for quotas and log lines.
    public var name: String
    /// What its clients may register, send to and list.
    public var access: AccessRules
    /// Connections at once, handshakes finished; nil: no quota.
    public var maxConnections: Int?
    /// Names registered at once; nil: no quota.
    public var maxNames: Int?
    /// What a HELLO for a taken name does.
    public var onNameConflict: NameConflict

    /// A principal with every rule given.
    public init(name: String, access: AccessRules, maxConnections: Int? = nil, maxNames: Int? = nil, onNameConflict: NameConflict = .refuse) {
        self.name = name
        self.access = access
        self.maxConnections = maxConnections
        self.maxNames = maxNames
        self.onNameConflict = onNameConflict
    }
}
