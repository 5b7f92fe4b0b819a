public import MPRelayProtocol

/// The answer to a ``RemoteDelivery``: an ACK for a `confirm` SEND, or the ERROR the sender
/// would get on one node (unknown peer, peer busy, not permitted).
public struct DeliveryOutcome: Equatable, Sendable {
    /// The sender's connection, on the node the outcome is published to.
    public var senderConnection: UInt64
    /// An ``Envelope/ack(correlationID:)`` or ``Envelope/error(_:)``.
    public var envelope: Envelope

    /// An outcome for `senderConnection`; `envelope` must be an ACK or an ERROR.
    public init(senderConnection: UInt64, envelope: Envelope) {
        precondition(envelope.kind == .ack || envelope.kind == .error, "an outcome is an ACK or an ERROR, not \(envelope.kind)")
        self.senderConnection = senderConnection
        self.envelope = envelope
    }
}
