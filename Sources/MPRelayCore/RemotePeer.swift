public import MPRelayProtocol

/// A peer registered on another node of a cluster: where a SEND for it is published.
public struct RemotePeer: Hashable, Sendable {
    /// The cluster node the peer is registered on.
    public let node: String
    /// The peer's name, validated.
    public let name: PeerName

    /// `name`, held on `node`.
    public init(node: String, name: PeerName) {
        self.node = node
        self.name = name
    }
}
