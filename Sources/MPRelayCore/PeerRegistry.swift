public import MPRelayProtocol
public import Synchronization

/// The registered names, who holds each (and for which principal), and who watches presence.
///
/// Generic over the peer handle: the broker registers its connections, tests a small class.
/// Routing reads it on every route-cache miss; each sender keeps its routes and revalidates them
/// against ``generation``, which changes whenever a name comes or goes.
public final class PeerRegistry<Peer: AnyObject & Sendable>: Sendable {
    @usableFromInline
    struct Holder {
        @usableFromInline var peer: Peer
        @usableFromInline var principal: String

        @usableFromInline
        init(peer: Peer, principal: String) {
            self.peer = peer
            self.principal = principal
        }
    }

    @usableFromInline
    struct State {
        @usableFromInline var peers: [PeerName: Holder] = [:]
        @usableFromInline var watchers: [ObjectIdentifier: Peer] = [:]

        @usableFromInline
        init() {}
    }

    // Usable from inlinable code so that lookups, on every cross-node delivery, are specialised
    // for the broker's peer type rather than resolved through run-time generics.
    @usableFromInline let state = Mutex(State())
    @usableFromInline let generationCounter = Atomic<UInt64>(0)

    /// An empty registry.
    public init() {}

    /// Changes whenever a name is registered or released, and on ``invalidateRoutes()``.
    @inlinable
    public var generation: UInt64 { generationCounter.load(ordering: .acquiring) }

    /// Registers `name` for `peer` of `principal`. Returns the watchers to tell, or nil if the
    /// name is taken.
    public func register(_ name: PeerName, _ peer: Peer, principal: String) -> [Peer]? {
        state.withLock { state in
            guard state.peers[name] == nil else { return nil }
            state.peers[name] = Holder(peer: peer, principal: principal)
            generationCounter.add(1, ordering: .releasing)
            return state.watchers.values.filter { $0 !== peer }
        }
    }

    /// Gives `name` to `peer` of `principal` whoever holds it. Returns the previous holder and
    /// the watchers to tell. The previous holder stops watching: it hears nothing more of
    /// presence.
    public func replace(_ name: PeerName, with peer: Peer, principal: String) -> (previous: Peer?, watchers: [Peer]) {
        state.withLock { state in
            let previous = state.peers[name]?.peer
            state.peers[name] = Holder(peer: peer, principal: principal)
            if let previous { state.watchers[ObjectIdentifier(previous)] = nil }
            generationCounter.add(1, ordering: .releasing)
            return (previous, state.watchers.values.filter { $0 !== peer })
        }
    }

    /// Makes every sender look its routes up again, e.g. after the rules changed.
    public func invalidateRoutes() {
        generationCounter.add(1, ordering: .releasing)
    }

    /// Releases `name` if `peer` still holds it, and stops `peer` watching; returns the watchers
    /// to tell (none if `peer` did not hold the name).
    public func unregister(_ name: PeerName, _ peer: Peer) -> [Peer] {
        state.withLock { state in
            state.watchers[ObjectIdentifier(peer)] = nil
            guard state.peers[name]?.peer === peer else { return [] }
            state.peers[name] = nil
            generationCounter.add(1, ordering: .releasing)
            return Array(state.watchers.values)
        }
    }

    /// The peer registered under these name bytes, as a SEND carries them.
    public func lookup(_ name: UnsafeRawBufferPointer) -> Peer? {
        guard let key = try? PeerName(validating: name) else { return nil }
        return state.withLock { $0.peers[key]?.peer }
    }

    /// The peer registered under `name`.
    @inlinable
    public func lookup(_ name: PeerName) -> Peer? {
        state.withLock { $0.peers[name]?.peer }
    }

    /// The holder of `name` and its principal.
    public func holder(of name: PeerName) -> (peer: Peer, principal: String)? {
        state.withLock { state in state.peers[name].map { ($0.peer, $0.principal) } }
    }

    /// Every registered name, sorted bytewise: what LIST answers.
    public func names() -> [PeerName] {
        state.withLock { Array($0.peers.keys) }.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
    }

    /// Every registered peer.
    public func peers() -> [Peer] {
        state.withLock { $0.peers.values.map(\.peer) }
    }

    /// The peers watching presence, for PEER_JOINED and PEER_LEFT of names on other nodes.
    public func watchers() -> [Peer] {
        state.withLock { Array($0.watchers.values) }
    }

    /// Starts or stops presence events for `peer`.
    public func setWatching(_ peer: Peer, _ watching: Bool) {
        state.withLock { $0.watchers[ObjectIdentifier(peer)] = watching ? peer : nil }
    }

    /// How many names are registered.
    public var count: Int { state.withLock { $0.peers.count } }
}
