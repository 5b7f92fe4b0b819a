public import MPRelayProtocol

/// A SEND published to another node, as far as its sender's ERROR needs it: what
/// ``OutboundLedger`` keeps until the receiving node acknowledges it.
public struct UndeliveredSend: Hashable, Sendable {
    /// The node the sender is on.
    public var senderNode: String
    /// The node the receiver was registered on.
    public var receiverNode: String
    /// The sender's connection on ``senderNode``.
    public var senderConnection: UInt64
    /// The SEND's correlation id.
    public var correlationID: UInt64
    /// The SEND's destination.
    public var receiver: PeerName
    /// The delivery's number among those from ``senderNode`` to ``receiverNode`` (0 until
    /// ``OutboundLedger/record(_:now:)`` numbers it).
    public var sequence: UInt64
    /// Whether the SEND asked for `confirm`: its ACK answers it, or an ERROR.
    public var confirm: Bool

    /// The SEND of `senderConnection` on `senderNode`, numbered `correlationID`, for `receiver`
    /// on `receiverNode`; delivery `sequence` of those between the two nodes; `confirm` if it
    /// asked for an ACK.
    public init(
        senderNode: String,
        receiverNode: String,
        senderConnection: UInt64,
        correlationID: UInt64,
        receiver: PeerName,
        sequence: UInt64 = 0,
        confirm: Bool = false
    ) {
        self.senderNode = senderNode
        self.receiverNode = receiverNode
        self.senderConnection = senderConnection
        self.correlationID = correlationID
        self.receiver = receiver
        self.sequence = sequence
        self.confirm = confirm
    }
}
