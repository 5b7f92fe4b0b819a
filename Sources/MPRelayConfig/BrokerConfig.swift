public import MPRelayCommon
/// The `[broker]` table: limits and policies that apply to every endpoint.
///
/// The property initial values are the defaults; ``BrokerConfig/settings`` lists every key with
/// its bounds, and docs/CONFIG.md is checked against it by a test.
public struct BrokerConfig: Equatable, Sendable {
    /// The least severe level that is logged.
    public var logLevel: LogLevel = .info
    /// Where log lines go.
    public var logTarget: LogTarget = .stderr
    /// The largest payload relayed, in bytes.
    public var maxMessageBytes = 16 * 1024 * 1024
    /// Seconds a client has to finish the authentication handshake.
    public var handshakeTimeout = 10.0
    /// Connections held at once, handshaking or registered; more are closed at accept.
    public var maxConnections = 10_000
    /// Handshakes in progress at once; more are closed at accept.
    public var maxHandshakes = 1_024
    /// Whether CPython 3.11 and older (HMAC-MD5 without a digest prefix) may connect.
    public var allowLegacyMD5 = true
    /// Bytes queued for one receiver before senders get `peer busy`.
    public var maxOutboundBytes = 64 * 1024 * 1024
    /// Frames queued for one receiver before senders get `peer busy`.
    public var maxOutboundMessages = 1_048_576
    /// Seconds a receiver may stay at its queue bound before it is disconnected as a slow
    /// consumer; 0 never disconnects (senders keep getting `peer busy`).
    public var slowConsumerTimeout = 30.0
    /// Failed handshakes from one address within `auth_failure_window` before it is refused.
    public var authFailureLimit = 10
    /// Seconds over which failed handshakes are counted, and between log lines about one address.
    public var authFailureWindow = 60.0
    /// Seconds an address that reached `auth_failure_limit` is refused at accept; 0 never refuses.
    public var authFailurePenalty = 60.0
    /// Seconds of silence after which the broker pings a peer, and then waits as long again for
    /// any frame before dropping it; 0 disables.
    public var idleTimeout = 60.0
    /// Seconds a shutdown waits for queued deliveries to flush.
    public var drainTimeout = 5.0

    public init() {}

    /// Every key of `[broker]`, in the order the docs list them.
    public static var settings: [Setting<BrokerConfig>] {
        [
            .logLevel("log_level", \.logLevel),
            .choice("log_target", \.logTarget),
            .integer("max_message_bytes", \.maxMessageBytes, 1...(1 << 30)),
            .seconds("handshake_timeout", \.handshakeTimeout, 0.1...300),
            .integer("max_connections", \.maxConnections, 1...1_000_000),
            .integer("max_handshakes", \.maxHandshakes, 1...1_000_000),
            .boolean("allow_legacy_md5", \.allowLegacyMD5),
            .integer("max_outbound_bytes", \.maxOutboundBytes, 65_536...(1 << 40)),
            .integer("max_outbound_messages", \.maxOutboundMessages, 16...100_000_000),
            .seconds("slow_consumer_timeout", \.slowConsumerTimeout, 0...3_600),
            .integer("auth_failure_limit", \.authFailureLimit, 1...1_000_000),
            .seconds("auth_failure_window", \.authFailureWindow, 1...86_400),
            .seconds("auth_failure_penalty", \.authFailurePenalty, 0...86_400),
            .seconds("idle_timeout", \.idleTimeout, 0...86_400),
            .seconds("drain_timeout", \.drainTimeout, 0...300),
        ]
    }

    /// Checks the rules that involve more than one key; `table` is the `[broker]` table (or the
    /// document when it has none), for the position of an error.
    func validate(_ table: TOMLField) throws(ConfigError) {
        let largestFrame = maxMessageBytes + 12 + 267
        guard maxOutboundBytes >= largestFrame else {
            throw (table.field("max_outbound_bytes") ?? table).error(
                key: "broker.max_outbound_bytes",
                "\(maxOutboundBytes) cannot hold one largest message; it must be at least max_message_bytes + 279 = \(largestFrame)"
            )
        }
    }
}
