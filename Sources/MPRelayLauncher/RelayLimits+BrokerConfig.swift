public import MPRelayConfig
public import MPRelayCore

extension RelayLimits {
    /// The limits `[broker]` sets.
    public init(_ broker: BrokerConfig) {
        self.init(
            maxMessageBytes: broker.maxMessageBytes,
            maxOutboundBytes: broker.maxOutboundBytes,
            maxOutboundMessages: broker.maxOutboundMessages,
            slowConsumerTimeout: broker.slowConsumerTimeout,
            handshakeTimeout: broker.handshakeTimeout,
            idleTimeout: broker.idleTimeout,
            drainTimeout: broker.drainTimeout,
            maxConnections: broker.maxConnections,
            maxHandshakes: broker.maxHandshakes,
            authFailureLimit: broker.authFailureLimit,
            authFailureWindow: broker.authFailureWindow,
            authFailurePenalty: broker.authFailurePenalty
        )
    }
}
