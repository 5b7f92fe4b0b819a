public import MPRelayCommon

/// A `[[principal]]`: a set of keys and what a client that proves one of them may do.
///
/// Rules deny by default: a name matches no pattern unless one is listed. An endpoint configured
/// with a bare `authkey_*` gets an implicit principal that may do everything, which is how a
/// single shared key has always behaved.
public struct PrincipalConfig: Equatable, Sendable {
    /// What happens when a client of this principal registers a name that is already registered.
    public enum NameConflictPolicy: String, Equatable, Sendable, CaseIterable {
        /// The new client is refused with `name taken`.
        case reject
        /// The old holder is told who took over and disconnected; the new client gets the name.
        case replace
    }

    /// The principal's name, used by endpoints and in log lines.
    public var name: String
    /// One key, or two during a rotation window; a client proving either is this principal.
    public var keys: [Authkey]
    /// Glob patterns (`*`, `?`, `[...]`) of the names its clients may register.
    public var mayRegister: [String]
    /// Glob patterns of the names its clients may send to.
    public var maySendTo: [String]
    /// Whether its clients may list peers and watch presence.
    public var mayList: Bool
    /// Connections at once, handshakes finished; nil: only the broker's `max_connections`.
    public var maxConnections: Int?
    /// Names registered at once; nil: no limit beyond connections.
    public var maxNames: Int?
    /// What a HELLO for a taken name does.
    public var onNameConflict: NameConflictPolicy
    /// Whether this principal stands for an endpoint's bare `authkey_*`.
    public var isImplicit: Bool
    /// Client-certificate identities accepted beside the key: an RFC 2253 subject
    /// (`CN=worker-1,O=Example`) or a subjectAltName with its kind (`DNS:worker-1.example`,
    /// `email:...`, `URI:...`). Empty: no certificate asked for.
    public var tlsSubjects: [String] = []

    public init(
        name: String,
        keys: [Authkey],
        mayRegister: [String],
        maySendTo: [String] = [],
        mayList: Bool = false,
        maxConnections: Int? = nil,
        maxNames: Int? = nil,
        onNameConflict: NameConflictPolicy = .reject,
        isImplicit: Bool = false
    ) {
        self.name = name
        self.keys = keys
        self.mayRegister = mayRegister
        self.maySendTo = maySendTo
        self.mayList = mayList
        self.maxConnections = maxConnections
        self.maxNames = maxNames
        self.onNameConflict = onNameConflict
        self.isImplicit = isImplicit
    }

    /// The principal of an endpoint configured with a single key: everything is allowed.
    public static func implicit(for address: EndpointAddress, key: Authkey) -> PrincipalConfig {
        PrincipalConfig(
            name: "endpoint \(address)",
            keys: [key],
            mayRegister: ["*"],
            maySendTo: ["*"],
            mayList: true,
            isImplicit: true
        )
    }

    /// The keys of a `[[principal]]` table, for the loader and the docs.
    public static let tableKeys = [
        "name", "authkey_file", "authkey_credential", "authkey", "may_register", "may_send_to", "may_list",
        "max_connections", "max_names", "on_name_conflict", "tls_subjects",
    ]
}
