import MPRelayProtocol

/// The limits a running relay enforces, replaced whole on reload.
///
/// The core's own type: the launcher maps its configuration file (`[broker]`) into it, so the
/// relay's decisions do not depend on how the limits were written down.
public struct RelayLimits: Equatable, Sendable {
    /// The largest payload a SEND may carry, in bytes.
    public var maxMessageBytes: Int
    /// The most bytes queued for one receiver before senders are refused with `peer busy`.
    public var maxOutboundBytes: Int
    /// The most frames queued for one receiver.
    public var maxOutboundMessages: Int
    /// Seconds a receiver's queue may stay full before it is disconnected; 0 never.
    public var slowConsumerTimeout: Double
    /// Seconds a client has to finish the handshake.
    public var handshakeTimeout: Double
    /// Seconds of silence before a registered peer is pinged, then disconnected; 0 never.
    public var idleTimeout: Double
    /// Seconds a closing connection (or a shutdown) may take to flush what is queued.
    public var drainTimeout: Double
    /// Connections open at once, handshaking or registered.
    public var maxConnections: Int
    /// Handshakes in progress at once.
    public var maxHandshakes: Int
    /// Failed handshakes from one origin within ``authFailureWindow`` before it is refused.
    public var authFailureLimit: Int
    /// The window, in seconds, over which failed handshakes are counted.
    public var authFailureWindow: Double
    /// Seconds an origin at ``authFailureLimit`` is refused for.
    public var authFailurePenalty: Double

    /// Limits with every value given.
    public init(
        maxMessageBytes: Int,
        maxOutboundBytes: Int,
        maxOutboundMessages: Int,
        slowConsumerTimeout: Double,
        handshakeTimeout: Double,
        idleTimeout: Double,
        drainTimeout: Double,
        maxConnections: Int,
        maxHandshakes: Int,
        authFailureLimit: Int,
        authFailureWindow: Double,
        authFailurePenalty: Double
    ) {
        self.maxMessageBytes = maxMessageBytes
        self.maxOutboundBytes = maxOutboundBytes
        self.maxOutboundMessages = maxOutboundMessages
        self.slowConsumerTimeout = slowConsumerTimeout
        self.handshakeTimeout = handshakeTimeout
        self.idleTimeout = idleTimeout
        self.drainTimeout = drainTimeout
        self.maxConnections = maxConnections
        self.maxHandshakes = maxHandshakes
        self.authFailureLimit = authFailureLimit
        self.authFailureWindow = authFailureWindow
        self.authFailurePenalty = authFailurePenalty
    }

    /// The largest frame body accepted after the handshake: a payload plus the largest header.
    public var maxFrameBodyLength: Int { maxMessageBytes + Envelope.maxHeaderLength }
}
