public import MPRelayConfig
import MPRelayProtocol

/// The limits a running broker enforces, taken from `[broker]`; replaced whole on reload.
public struct RelayLimits: Equatable, Sendable {
    public var maxMessageBytes: Int
    public var maxOutboundBytes: Int
    public var maxOutboundMessages: Int
    public var slowConsumerTimeout: Double
    public var handshakeTimeout: Double
    public var idleTimeout: Double
    public var drainTimeout: Double
    public var maxConnections: Int
    public var maxHandshakes: Int
    public var authFailureLimit: Int
    public var authFailureWindow: Double
    public var authFailurePenalty: Double

    public init(_ broker: BrokerConfig) {
        maxMessageBytes = broker.maxMessageBytes
        maxOutboundBytes = broker.maxOutboundBytes
        maxOutboundMessages = broker.maxOutboundMessages
        slowConsumerTimeout = broker.slowConsumerTimeout
        handshakeTimeout = broker.handshakeTimeout
        idleTimeout = broker.idleTimeout
        drainTimeout = broker.drainTimeout
        maxConnections = broker.maxConnections
        maxHandshakes = broker.maxHandshakes
        authFailureLimit = broker.authFailureLimit
        authFailureWindow = broker.authFailureWindow
        authFailurePenalty = broker.authFailurePenalty
    }

    /// The largest frame body accepted after the handshake: a payload plus the largest header.
    public var maxFrameBodyLength: Int { maxMessageBytes + Envelope.maxHeaderLength }
}
