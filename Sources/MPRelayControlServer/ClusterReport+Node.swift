import MPRelayCluster
import MPRelayControl
import MPRelayNATS

extension ClusterReport {
    /// The report of a running cluster node: reads of its replica (in memory, under its lock),
    /// its connection's state and its atomics; never a NATS round trip.
    init(_ cluster: ClusterNode) {
        let counters = cluster.counters
        self.init(
            name: cluster.settings.name,
            node: cluster.settings.node,
            natsServer: cluster.server.description,
            natsConnected: cluster.isConnected,
            nodes: cluster.liveNodes,
            remotePeers: cluster.remoteNames.count,
            framesSent: Int(clamping: counters.framesSent),
            framesReceived: Int(clamping: counters.framesReceived),
            frameErrors: Int(clamping: counters.frameErrors),
            natsReconnects: Int(clamping: counters.natsReconnects)
        )
    }
}
