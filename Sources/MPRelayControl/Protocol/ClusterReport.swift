/// A cluster node's membership, in a ``StatusReport``: which cluster, which node, which NATS
/// server, which other nodes it sees, and its cross-node traffic since it started.
///
/// Present only on a daemon with a `[cluster]` table; a single node's status has none, and its
/// JSON no `cluster` key.
public struct ClusterReport: Codable, Equatable, Sendable {
    /// The cluster's name (`[cluster] name`).
    public var name: String
    /// This node's id (`[cluster] node`).
    public var node: String
    /// The NATS server connected to now, or the last one when ``natsConnected`` is false.
    public var natsServer: String
    /// Whether a NATS server is connected now.
    public var natsConnected: Bool
    /// The other nodes whose lease is current, sorted.
    public var nodes: [String]
    /// Names registered on the other nodes.
    public var remotePeers: Int
    /// Frames published to other nodes: deliveries and their outcomes.
    public var framesSent: Int
    /// Frames received from other nodes that decoded.
    public var framesReceived: Int
    /// Frames that did not decode, or could not be published (NATS unavailable).
    public var frameErrors: Int
    /// Times the NATS connection was re-established after a loss.
    public var natsReconnects: Int

    /// Creates a report; the daemon builds it from its cluster node.
    public init(
        name: String,
        node: String,
        natsServer: String,
        natsConnected: Bool,
        nodes: [String],
        remotePeers: Int,
        framesSent: Int,
        framesReceived: Int,
        frameErrors: Int,
        natsReconnects: Int
    ) {
        self.name = name
        self.node = node
        self.natsServer = natsServer
        self.natsConnected = natsConnected
        self.nodes = nodes
        self.remotePeers = remotePeers
        self.framesSent = framesSent
        self.framesReceived = framesReceived
        self.frameErrors = frameErrors
        self.natsReconnects = natsReconnects
    }

    enum CodingKeys: String, CodingKey {
        case name
        case node
        case natsServer = "nats_server"
        case natsConnected = "nats_connected"
        case nodes
        case remotePeers = "remote_peers"
        case framesSent = "frames_sent"
        case framesReceived = "frames_received"
        case frameErrors = "frame_errors"
        case natsReconnects = "nats_reconnects"
    }
}
