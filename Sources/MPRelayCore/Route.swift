/// Where a SEND goes, as decided by the sender's access rules, the registry and, in a cluster,
/// the names held on other nodes.
public enum Route<Peer: AnyObject> {
    /// Queue it for this peer of the same relay.
    case local(Peer)
    /// Publish it to the cluster node the receiver is registered on.
    case remote(RemotePeer)
    /// The sender's principal may send there, but nobody has that name.
    case unknownPeer
    /// The sender's principal may not send to that name.
    case forbidden
}

/// What the relay does with one SEND.
public enum SendDecision<Peer: AnyObject> {
    /// The payload is over `max_message_bytes`.
    case tooLarge
    /// The SEND goes this way.
    case route(Route<Peer>)
}
