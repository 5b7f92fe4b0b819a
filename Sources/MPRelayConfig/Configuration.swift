import MPRelayCommon
/// A whole, validated mprelayd configuration.
public struct Configuration: Equatable, Sendable {
    /// The `[broker]` table.
    public var broker: BrokerConfig
    /// The `[[endpoint]]` tables, in file order; at least one.
    public var endpoints: [EndpointConfig]
    /// The `[control]` table.
    public var control: ControlConfig
    /// The `[http]` table: the monitoring HTTP server, off by default.
    public var http: HTTPConfig
    /// The `[cluster]` table; nil when the node runs alone, with no NATS anywhere.
    public var cluster: ClusterConfig?
    /// Where it came from: a file path, or ``Configuration/embeddedSource``.
    public var source: String
    /// Legal but risky choices, to be logged as WARNING lines.
    public var warnings: [ConfigWarning]

    /// The ``source`` of the configuration used when mprelayd runs without `--config`.
    public static let embeddedSource = "<embedded default>"

    /// A configuration from its tables; a table left out has its defaults (no `[cluster]`: the
    /// node runs alone).
    public init(
        broker: BrokerConfig = BrokerConfig(),
        endpoints: [EndpointConfig],
        control: ControlConfig = ControlConfig(),
        http: HTTPConfig = HTTPConfig(),
        cluster: ClusterConfig? = nil,
        source: String,
        warnings: [ConfigWarning] = []
    ) {
        self.broker = broker
        self.endpoints = endpoints
        self.control = control
        self.http = http
        self.cluster = cluster
        self.source = source
        self.warnings = warnings
    }

    /// The safe default: loopback TCP port 6000 and a socket file in `runtimeDirectory`, both with
    /// `authkey`.
    public static func embeddedDefault(runtimeDirectory: String, authkey: Authkey) -> Configuration {
        Configuration(
            endpoints: [
                EndpointConfig(address: .inet(host: "127.0.0.1", port: 6000), authkey: authkey),
                EndpointConfig(address: .unixPath(runtimeDirectory + "/mprelay.sock"), authkey: authkey),
            ],
            source: embeddedSource
        )
    }
}
