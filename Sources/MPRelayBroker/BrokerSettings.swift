public import MPRelayCluster
public import MPRelayCore

/// What a ``Broker`` runs with: the relay's limits, the endpoints it listens on and, for a node of
/// a cluster, how it joins. mprelayd builds it from its configuration file (the `MPRelayLauncher`
/// module); a reload hands the broker a new one, which it applies whole or not at all.
public struct BrokerSettings: Sendable {
    /// The limits every connection enforces.
    public var limits: RelayLimits
    /// The endpoints, in the order they are bound; their addresses are distinct.
    public var endpoints: [EndpointSettings]
    /// How this node joins its cluster; nil for a single node.
    public var cluster: ClusterNodeSettings?

    /// Settings with every part given.
    public init(limits: RelayLimits, endpoints: [EndpointSettings], cluster: ClusterNodeSettings? = nil) {
        self.limits = limits
        self.endpoints = endpoints
        self.cluster = cluster
    }
}
