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
    /// Where it came from: a file path, or ``Configuration/embeddedSource``.
    public var source: String
    /// Legal but risky choices, to be logged as WARNING lines.
    public var warnings: [ConfigWarning]

    /// The ``source`` of the configuration used when mprelayd runs without `--config`.
    public static let embeddedSource = "<embedded default>"

    public init(
        broker: BrokerConfig = BrokerConfig(),
        endpoints: [EndpointConfig],
        control: ControlConfig = ControlConfig(),
        http: HTTPConfig = HTTPConfig(),
        source: String,
        warnings: [ConfigWarning] = []
    ) {
        self.broker = broker
        self.endpoints = endpoints
        self.control = control
        self.http = http
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
