public import MPRelayProtocol

/// A SEND published to a node that nobody answered for: what its reply subject carries.
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

    /// The SEND of `senderConnection` on `senderNode`, numbered `correlationID`, for `receiver`
    /// on `receiverNode`.
    public init(senderNode: String, receiverNode: String, senderConnection: UInt64, correlationID: UInt64, receiver: PeerName) {
        self.senderNode = senderNode
        self.receiverNode = receiverNode
        self.senderConnection = senderConnection
        self.correlationID = correlationID
        self.receiver = receiver
    }
}
