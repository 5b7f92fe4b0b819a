public import MPRelayProtocol

/// A presence event to queue for some watchers: PEER_JOINED or PEER_LEFT, encoded once.
public struct PresenceNotice<Peer: AnyObject> {
    /// The watchers to tell.
    public var watchers: [Peer]
    /// The framed envelope to queue for each.
    public var frame: [UInt8]

    /// PEER_JOINED for `name`, to `watchers`.
    public static func joined(_ name: PeerName, to watchers: [Peer]) -> Self {
        Self(watchers: watchers, frame: Envelope.peerJoined(name).encodedFrame())
    }

    /// PEER_LEFT for `name`, to `watchers`.
    public static func left(_ name: PeerName, to watchers: [Peer]) -> Self {
        Self(watchers: watchers, frame: Envelope.peerLeft(name).encodedFrame())
    }
}
