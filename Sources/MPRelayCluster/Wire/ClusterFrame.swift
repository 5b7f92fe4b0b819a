public import MPRelayProtocol

/// What one mprelayd node publishes to another over core NATS, on the receiving node's subject
/// (``ClusterSubjects/node(_:)``).
///
/// A frame is a small binary header followed by an envelope of docs/PROTOCOL.md, byte for byte
/// what the receiving node writes to its client: a DELIVER already stamped with the sender's
/// verified name, or the ERROR or ACK that answers one. The layout (big-endian integers):
///
/// ```
/// delivery:        0x01 or 0x03 | sender connection u64 | epoch u64 | sequence u64
///                  | node length u8 | sender node | receiver length u8 | receiver | DELIVER body
/// outcome:         0x02 | sender connection u64 | ERROR or ACK body
/// acknowledgement: 0x04 | epoch u64 | through u64 | node length u8 | receiving node
///                  | lost count u8 | lost count x (first u64 | last u64)
/// ```
///
/// A delivery whose SEND asked for `confirm` starts with 0x03: the receiving node answers it with
/// an ACK once queued. The DELIVER itself carries only the options its receiver sees. Each
/// delivery is numbered per receiving node within its sender's run (`epoch`, the sending node's
/// incarnation); acknowledgements answer those numbers (``LinkAcknowledgement``).
///
/// One publishing connection per node keeps every sender/receiver pair in order.
public enum ClusterFrame: Equatable, Sendable {
    /// A message for ``RemoteDelivery/receiver``, a peer registered on the receiving node.
    case delivery(RemoteDelivery)
    /// The verdict on a delivery, for the connection that sent it.
    case outcome(DeliveryOutcome)
    /// Which of the sending node's numbered deliveries arrived and which were lost.
    case acknowledgement(LinkAcknowledgement)

    /// The first byte of a delivery.
    static let deliveryKind: UInt8 = 0x01
    /// The first byte of a delivery whose sender wants an ACK.
    static let confirmedDeliveryKind: UInt8 = 0x03
    /// Whether `bytes` start like a delivery (not checked further).
    static func isDelivery(_ bytes: [UInt8]) -> Bool {
        bytes.first == deliveryKind || bytes.first == confirmedDeliveryKind
    }

    /// The first byte of an outcome.
    static let outcomeKind: UInt8 = 0x02
    /// The first byte of an acknowledgement.
    static let acknowledgementKind: UInt8 = 0x04
    /// Where a delivery's sequence number starts: after its kind, connection and epoch.
    static let sequenceOffset = 17
}

/// A DELIVER crossing from the sender's node to the receiver's.
public struct RemoteDelivery: Equatable, Sendable {
    /// The node the sender is registered on, where the outcome goes.
    public var senderNode: String
    /// The sender's connection on ``senderNode``, where the outcome goes.
    public var senderConnection: UInt64
    /// The peer that receives the message, registered on the receiving node.
    public var receiver: PeerName
    /// The DELIVER: its peer is the sender's verified name, its options those the receiver sees.
    public var message: Message
    /// Whether the SEND asked for `confirm`: the receiving node answers with an ACK once queued.
    public var confirm: Bool
    /// The sending node's incarnation, which ``sequence`` counts within.
    public var epoch: UInt64
    /// The delivery's number among those from ``senderNode`` to the receiving node.
    public var sequence: UInt64

    /// Delivery `sequence` of run `epoch`: `message` (whose peer is the sender) to
    /// `receiver`, to be ACKed when `confirm`.
    public init(
        senderNode: String,
        senderConnection: UInt64,
        receiver: PeerName,
        message: Message,
        confirm: Bool = false,
        epoch: UInt64 = 0,
        sequence: UInt64 = 0
    ) {
        self.senderNode = senderNode
        self.senderConnection = senderConnection
        self.receiver = receiver
        self.message = message
        self.confirm = confirm
        self.epoch = epoch
        self.sequence = sequence
    }
}

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
