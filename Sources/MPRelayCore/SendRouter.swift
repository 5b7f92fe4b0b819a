import MPRelayProtocol

/// Decides where each SEND of one sender goes: too large, forbidden, unknown peer, the peer to
/// queue it for, or the cluster node that holds the name. Confined to the sender; the registry
/// and the remote names it reads are shared.
///
/// The access rules are checked before the registry, so a forbidden sender learns nothing about
/// who is registered. Verdicts are cached per destination until the registry's generation moves.
public struct SendRouter<Peer: AnyObject & Sendable> {
    @usableFromInline let registry: PeerRegistry<Peer>
    /// The names held on other cluster nodes; nil outside a cluster.
    @usableFromInline let remote: (any RemoteNames)?
    @usableFromInline var cache = RouteCache<Peer>()
    /// The sender's access rules; nil until its principal is known (every SEND is forbidden).
    public private(set) var access: AccessRules?

    /// A router for a sender whose principal is not known yet; `remote` routes the names this
    /// relay does not hold to the cluster node that does.
    public init(registry: PeerRegistry<Peer>, remote: (any RemoteNames)? = nil) {
        self.registry = registry
        self.remote = remote
    }

    /// Takes the sender's (new) access rules and forgets what was decided under the old ones.
    public mutating func setAccess(_ rules: AccessRules) {
        access = rules
        cache.forget()
    }

    /// Forgets every cached route, e.g. when a receiver turned out to be gone.
    @inlinable
    public mutating func forget() {
        cache.forget()
    }

    /// What to do with a SEND of `payloadLength` bytes to the peer named by `destination`.
    ///
    /// Always inlined: called once per message, and as a call it copied `limits` to the stack
    /// and handed back a ``SendDecision`` to destroy, work the relay did not do before routing
    /// moved into this module.
    @inlinable @inline(__always)
    public mutating func decide(destination: UnsafeRawBufferPointer, payloadLength: Int, limits: RelayLimits) -> SendDecision<Peer> {
        guard payloadLength <= limits.maxMessageBytes else { return .tooLarge }
        let generation = registry.generation
        if let cached = cache.route(for: destination, generation: generation) { return .route(cached) }
        let found = lookUp(destination)
        cache.remember(destination, found, generation: generation)
        return .route(found)
    }

    /// The route on a cache miss: the access rules, then the registry, then the other nodes.
    @usableFromInline
    func lookUp(_ destination: UnsafeRawBufferPointer) -> Route<Peer> {
        guard let access, access.send(to: destination) == .allowed else { return .forbidden }
        if let receiver = registry.lookup(destination) { return .local(receiver) }
        guard let remote, let name = try? PeerName(validating: destination), let node = remote.node(holding: name) else {
            return .unknownPeer
        }
        return .remote(RemotePeer(node: node, name: name))
    }
}
