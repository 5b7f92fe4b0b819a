public import MPRelayProtocol

/// Decides HELLOs and departures: the version, `may_register`, the principal's `max_names`, a
/// taken name (refused or replaced, as `on_name_conflict` says), and the presence events each
/// causes. Shared by every connection.
public struct Registrar<Peer: AnyObject & Sendable>: Sendable {
    /// The names and their holders.
    public let registry: PeerRegistry<Peer>
    /// What each principal holds of its quotas.
    public let usage: PrincipalUsage

    /// A registrar over `registry`, counting names in `usage`.
    public init(registry: PeerRegistry<Peer>, usage: PrincipalUsage) {
        self.registry = registry
        self.usage = usage
    }

    /// What a HELLO did.
    public enum Outcome {
        /// `name` is the peer's now, and one of its principal's name slots is taken. `previous`
        /// is the holder it was taken from (to be told ERROR `replaced` and closed); the presence
        /// events go out in order.
        case registered(previous: Peer?, presence: [PresenceNotice<Peer>])
        /// Nothing changed; the peer gets this refusal and is closed.
        case refused(RegistrationRefusal)
    }

    /// What refuses a HELLO whatever the registry holds: the version and `may_register`. A
    /// cluster node asks before it claims the name on the other nodes' behalf.
    public func check(version: UInt8, name: PeerName, principal: PrincipalRules) -> RegistrationRefusal? {
        guard version == Envelope.protocolVersion else { return .unsupportedVersion(version) }
        if case .denied(let rule) = principal.access.register(name.description) { return .forbidden(rule: rule) }
        return nil
    }

    /// Registers `name` for `peer` of `principal`, which sent a HELLO of protocol `version`.
    public func hello(version: UInt8, name: PeerName, peer: Peer, principal: PrincipalRules) -> Outcome {
        if let refusal = check(version: version, name: name, principal: principal) { return .refused(refusal) }
        let holder = registry.holder(of: name)
        let replacing = holder != nil && principal.onNameConflict == .replace
        // Replacing a holder of the same principal frees its name slot a moment later, when the
        // holder closes: let the newcomer take it now.
        let handover = replacing && holder?.principal == principal.name ? 1 : 0
        guard usage.claim(.names, for: principal.name, limit: principal.maxNames.map { $0 + handover }) else {
            return .refused(.tooManyNames(principal: principal.name, limit: principal.maxNames ?? 0))
        }
        if let watchers = registry.register(name, peer, principal: principal.name) {
            return .registered(previous: nil, presence: [.joined(name, to: watchers)])
        }
        guard principal.onNameConflict == .replace else {
            usage.release(.names, for: principal.name)
            return .refused(.nameTaken)
        }
        let (previous, watchers) = registry.replace(name, with: peer, principal: principal.name)
        return .registered(previous: previous, presence: [.left(name, to: watchers), .joined(name, to: watchers)])
    }

    /// Releases `name` if `peer` still holds it: PEER_LEFT for the watchers. The principal's name
    /// slot is given back by whoever took it, with ``PrincipalUsage/release(_:for:)``.
    public func leave(_ name: PeerName, _ peer: Peer) -> PresenceNotice<Peer> {
        .left(name, to: registry.unregister(name, peer))
    }
}
