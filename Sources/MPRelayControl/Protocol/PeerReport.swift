/// One registered peer, the result of `peer` and an element of the result of `peers`.
public struct PeerReport: Codable, Equatable, Sendable {
    /// The registered name.
    public var name: String
    /// The connection's number, as in the daemon's log lines (`Connection-N`).
    public var connectionID: Int
    /// The endpoint it connected through, as bound.
    public var endpoint: String
    /// `host:port` for TCP; `pid N uid N` for AF_UNIX.
    public var remote: String
    /// When it registered, in seconds since the Unix epoch.
    public var connectedSince: Double
    /// Seconds since it registered.
    public var connectedSeconds: Double
    /// The handshake digest its client used: `sha256`, `legacy md5`, ...
    public var digest: String
    /// Messages it sent that were relayed.
    public var messagesIn: Int
    /// The payload bytes of those messages.
    public var bytesIn: Int
    /// Frames queued to it since it connected: the handshake, WELCOME, deliveries, ACKs,
    /// replies, presence events, errors.
    public var messagesOut: Int
    /// The bytes of those frames.
    public var bytesOut: Int
    /// Frames waiting in its outbound queue now.
    public var queuedMessages: Int
    /// Bytes waiting in its outbound queue now.
    public var queuedBytes: Int
    /// Its TLS session; nil (left out of the JSON) for a plain connection.
    public var tls: TLSReport?

    /// Creates a report for one peer.
    public init(
        name: String,
        connectionID: Int,
        endpoint: String,
        remote: String,
        connectedSince: Double,
        connectedSeconds: Double,
        digest: String,
        messagesIn: Int,
        bytesIn: Int,
        messagesOut: Int,
        bytesOut: Int,
        queuedMessages: Int,
        queuedBytes: Int,
        tls: TLSReport? = nil
    ) {
        self.name = name
        self.connectionID = connectionID
        self.endpoint = endpoint
        self.remote = remote
        self.connectedSince = connectedSince
        self.connectedSeconds = connectedSeconds
        self.digest = digest
        self.messagesIn = messagesIn
        self.bytesIn = bytesIn
        self.messagesOut = messagesOut
        self.bytesOut = bytesOut
        self.queuedMessages = queuedMessages
        self.queuedBytes = queuedBytes
        self.tls = tls
    }

    enum CodingKeys: String, CodingKey {
        case name
        case connectionID = "connection_id"
        case endpoint
        case remote
        case connectedSince = "connected_since"
        case connectedSeconds = "connected_seconds"
        case digest
        case messagesIn = "messages_in"
        case bytesIn = "bytes_in"
        case messagesOut = "messages_out"
        case bytesOut = "bytes_out"
        case queuedMessages = "queued_messages"
        case queuedBytes = "queued_bytes"
        case tls
    }
}
