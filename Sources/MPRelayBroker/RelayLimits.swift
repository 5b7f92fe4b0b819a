public import MPRelayConfig
import MPRelayProtocol

/// The limits a running broker enforces, taken from `[broker]`; replaced whole on reload.
public struct RelayLimits: Equatable, Sendable {
    public var maxMessageBytes: Int
    public var maxOutboundBytes: Int
    public var handshakeTimeout: Double
    public var idleTimeout: Double
    public var drainTimeout: Double
    public var maxConnections: Int
    public var maxHandshakes: Int

    public init(_ broker: BrokerConfig) {
        maxMessageBytes = broker.maxMessageBytes
        maxOutboundBytes = broker.maxOutboundBytes
        handshakeTimeout = broker.handshakeTimeout
        idleTimeout = broker.idleTimeout
        drainTimeout = broker.drainTimeout
        maxConnections = broker.maxConnections
        maxHandshakes = broker.maxHandshakes
    }

    /// The largest frame body accepted after the handshake: a payload plus the largest header.
    public var maxFrameBodyLength: Int { maxMessageBytes + Envelope.maxHeaderLength }
}
