public import MPRelayTLS

/// One registered peer as the control socket reports it.
public struct PeerSnapshot: Equatable, Sendable {
    /// The registered name.
    public var name: String
    /// The connection's number, as in its log lines (`Connection-N`).
    public var connectionID: Int
    /// The endpoint it connected to.
    public var endpoint: String
    /// `host:port`, or `pid N uid N` for AF_UNIX.
    public var remote: String
    /// When it registered, in seconds since the Unix epoch.
    public var connectedSince: Double
    /// The handshake digest: `sha256`, `legacy md5`, ...
    public var digest: String
    /// SEND envelopes relayed from this peer, and their payload bytes.
    public var messagesIn: Int
    public var bytesIn: Int
    /// Frames queued to this peer since it connected (deliveries, replies, events), and their bytes.
    public var messagesOut: Int
    public var bytesOut: Int
    /// Frames and bytes waiting in its outbound queue now.
    public var queuedFrames: Int
    public var queuedBytes: Int
    /// Its TLS version, cipher and client certificate; nil for a plain connection.
    public var tls: TLSPeerInfo?
}
