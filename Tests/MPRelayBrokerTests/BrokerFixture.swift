import Logging
import MPRelayBroker
import MPRelayCommon
import MPRelayConfig
import MPRelayLauncher

/// The broker the suites of this target start: one endpoint with one key, `[broker]`'s defaults
/// as a test adjusts them, mapped into the broker's settings as mprelayd maps its file.
enum BrokerFixture {
    /// The settings of a broker listening on `address` for clients that prove `key`.
    static func settings(address: EndpointAddress, key: [UInt8], _ adjust: (inout BrokerConfig) -> Void = { _ in }) -> BrokerSettings {
        var broker = BrokerConfig()
        adjust(&broker)
        return BrokerSettings(Configuration(
            broker: broker,
            endpoints: [EndpointConfig(address: address, authkey: Authkey(bytes: key, origin: "test"))],
            source: "test"
        ))
    }

    /// A broker on `address` that logs nothing; nothing listens until its `start()`.
    static func broker(
        address: EndpointAddress,
        key: [UInt8],
        inheritedSockets: [String: [Int32]] = [:],
        _ adjust: (inout BrokerConfig) -> Void = { _ in }
    ) -> Broker {
        Broker(
            settings: settings(address: address, key: key, adjust),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            inheritedSockets: inheritedSockets
        )
    }
}
