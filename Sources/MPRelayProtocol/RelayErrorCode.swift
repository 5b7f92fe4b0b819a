/// The stable numeric codes of ERROR envelopes. Values never change meaning once published.
public enum RelayErrorCode: UInt16, CaseIterable, Sendable, CustomStringConvertible {
    /// No peer of that name is registered.
    case unknownPeer = 1
    /// HELLO named a peer that is already registered.
    case nameTaken = 2
    /// The payload is larger than the broker's `max_message_bytes`.
    case messageTooLarge = 3
    /// An envelope could not be decoded.
    case malformedFrame = 4
    /// The peer's principal is not allowed to do this.
    case notPermitted = 5
    /// The receiver's outbound queue is full; this message was not delivered.
    case peerBusy = 6
    /// HELLO named a peer with bytes outside the allowed set.
    case invalidName = 7
    /// HELLO asked for a protocol version the broker does not speak.
    case unsupportedVersion = 8
    /// A well-formed envelope arrived when it is not allowed (SEND before HELLO, HELLO twice, ...).
    case unexpectedEnvelope = 9
    /// The peer did not read its deliveries for longer than `slow_consumer_timeout`.
    case slowConsumer = 10
    /// An operator disconnected the peer.
    case kicked = 11
    /// The peer was silent and did not answer a PING in time.
    case idleTimeout = 12
    /// Another connection registered the same name and replaced this one.
    case replaced = 13
    /// The relay is a cluster node and cannot reach the cluster's NATS servers: the name could
    /// not be claimed, or the message for a peer on another node could not be sent.
    case clusterUnavailable = 14

    /// The name used in logs, docs and the Python client's exception classes.
    public var description: String {
        switch self {
        case .unknownPeer: return "unknown peer"
        case .nameTaken: return "name taken"
        case .messageTooLarge: return "message too large"
        case .malformedFrame: return "malformed frame"
        case .notPermitted: return "not permitted"
        case .peerBusy: return "peer busy"
        case .invalidName: return "invalid name"
        case .unsupportedVersion: return "unsupported version"
        case .unexpectedEnvelope: return "unexpected envelope"
        case .slowConsumer: return "slow consumer"
        case .kicked: return "kicked"
        case .idleTimeout: return "idle timeout"
        case .replaced: return "replaced"
        case .clusterUnavailable: return "cluster unavailable"
        }
    }
}

/// Why a GOODBYE was sent.
public enum GoodbyeReason: UInt16, Sendable, CustomStringConvertible {
    /// The sender is leaving of its own accord.
    case leaving = 0
    /// The broker is shutting down; reconnecting later may succeed.
    case shuttingDown = 1

    public var description: String {
        switch self {
        case .leaving: return "leaving"
        case .shuttingDown: return "shutting down"
        }
    }
}
