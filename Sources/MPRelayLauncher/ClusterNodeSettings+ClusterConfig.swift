public import MPRelayCluster
public import MPRelayConfig

extension ClusterNodeSettings {
    /// The node a `[cluster]` table describes, with the TLS context loaded when the table was read.
    public init(_ cluster: ClusterConfig) {
        self.init(
            node: cluster.node,
            name: cluster.name,
            servers: cluster.nats,
            credentials: cluster.credentials,
            tls: cluster.tls?.context,
            tlsServerName: cluster.tlsServerName,
            nameLease: cluster.nameLease,
            natsTimeout: cluster.natsTimeout,
            maxPendingBytes: cluster.maxPendingBytes
        )
    }
}
