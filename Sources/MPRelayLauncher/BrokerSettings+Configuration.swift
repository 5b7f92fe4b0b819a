public import MPRelayBroker
import MPRelayCluster
public import MPRelayConfig
import MPRelayCore

extension BrokerSettings {
    /// The settings a configuration file gives the broker: `[broker]` becomes the core's
    /// ``RelayLimits``, each `[[endpoint]]` an ``EndpointSettings`` and `[cluster]` the node's
    /// ``ClusterNodeSettings``. The one place the configuration model meets the broker.
    public init(_ configuration: Configuration) {
        self.init(
            limits: RelayLimits(configuration.broker),
            endpoints: configuration.endpoints.map { EndpointSettings($0, allowLegacyMD5: configuration.broker.allowLegacyMD5) },
            cluster: configuration.cluster.map { ClusterNodeSettings($0) }
        )
    }
}
