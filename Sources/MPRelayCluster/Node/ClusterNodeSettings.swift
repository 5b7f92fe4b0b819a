public import MPRelayNATS
public import MPRelayTLS

/// What a ``ClusterNode`` runs with: its id and cluster, the NATS servers and how to reach them,
/// and the cluster's timing bounds. mprelayd builds it from the `[cluster]` table (docs/CONFIG.md
/// gives every key's default and bounds); the node never reads a configuration file.
public struct ClusterNodeSettings: Sendable {
    /// This node's id, unique in the cluster (``MPRelayCommon/ClusterToken``).
    public var node: String
    /// The cluster's name: the name bucket is ``bucket`` and every subject starts with
    /// `mprelay.<name>.`.
    public var name: String
    /// The NATS servers, tried in order; at least one.
    public var servers: [NATSServerAddress]
    /// What the node sends in NATS `CONNECT`.
    public var credentials: NATSConnectionOptions.Credentials
    /// The client context for TLS with every server; nil for plain TCP.
    public var tls: TLSContext?
    /// The name the servers' certificates must carry; nil: the host of each server's URL.
    public var tlsServerName: String?
    /// Seconds within which the names of a node that died are free again.
    public var nameLease: Double
    /// Seconds one NATS request may take before it counts as failed.
    public var natsTimeout: Double
    /// Bytes of cross-node traffic held while no NATS server is reachable.
    public var maxPendingBytes: Int

    /// Settings for node `node` of cluster `name` through `servers`; the other fields take the
    /// `[cluster]` table's defaults.
    public init(
        node: String,
        name: String = "mprelay",
        servers: [NATSServerAddress],
        credentials: NATSConnectionOptions.Credentials = .none,
        tls: TLSContext? = nil,
        tlsServerName: String? = nil,
        nameLease: Double = 10,
        natsTimeout: Double = 2,
        maxPendingBytes: Int = 8 * 1024 * 1024
    ) {
        self.node = node
        self.name = name
        self.servers = servers
        self.credentials = credentials
        self.tls = tls
        self.tlsServerName = tlsServerName
        self.nameLease = nameLease
        self.natsTimeout = natsTimeout
        self.maxPendingBytes = maxPendingBytes
    }

    /// The name of the JetStream key-value bucket that holds the cluster's name claims.
    public var bucket: String { "mprelay_\(name)" }
}
