public import MPRelayCore

/// A principal as an endpoint admits it: the keys that prove it, the client certificates it
/// accepts on TLS, and the rules the relay core enforces for it once admitted.
public struct EndpointPrincipal: Sendable {
    /// The principal's name, access rules, quotas and name-conflict policy.
    public var rules: PrincipalRules
    /// The keys a client may prove, each the raw bytes of an authkey.
    public var keys: [[UInt8]]
    /// Client-certificate identities accepted beside the key: an RFC 2253 subject
    /// (`CN=worker-1,O=Example`) or a subjectAltName with its kind (`DNS:worker-1.example`).
    /// Empty: any certificate the endpoint's client CA signed, or none.
    public var tlsSubjects: [String]
    /// Whether the principal stands for an endpoint's plain `authkey` (no `[[principal]]`
    /// table): log lines then do not name it.
    public var isImplicit: Bool

    /// A principal with every part given.
    public init(rules: PrincipalRules, keys: [[UInt8]], tlsSubjects: [String] = [], isImplicit: Bool = false) {
        self.rules = rules
        self.keys = keys
        self.tlsSubjects = tlsSubjects
        self.isImplicit = isImplicit
    }

    /// Whether a client certificate with `subject` and `alternativeNames` may act as this
    /// principal: always when ``tlsSubjects`` is empty.
    func acceptsCertificate(subject: String?, alternativeNames: [String]) -> Bool {
        guard !tlsSubjects.isEmpty else { return true }
        return tlsSubjects.contains { $0 == subject || alternativeNames.contains($0) }
    }
}
