public import MPRelayProtocol

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
