public import MPRelayProtocol

/// The names registered on the other nodes of a cluster, as this node knows them: what a SEND
/// to a name that is not local is routed by. A read in memory, never a network round trip.
///
/// The relay calls ``PeerRegistry/invalidateRoutes()`` whenever these names change, so that
/// the routes its senders cached are looked up again.
public protocol RemoteNames: Sendable {
    /// The node `name` is registered on, or nil when no other node holds it.
    func node(holding name: PeerName) -> String?
}
