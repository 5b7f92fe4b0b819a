public import MPRelayProtocol

/// One delivery of an ``IncomingDeliveries`` frame, checked and read in place: the receiving node
/// writes its DELIVER to the receiver straight from the frame's bytes, one copy.
public struct IncomingDelivery: Sendable {
    /// The whole frame, as published (shared with the frame's other deliveries, not copied).
    let frame: [UInt8]
    /// Where the DELIVER body lies in ``frame``.
    let bodyRange: Range<Int>
    /// Whether the SEND asked for `confirm`: answer with an ACK once queued.
    public let confirm: Bool
    /// The sender's connection on the sending node, where the outcome goes.
    public let senderConnection: UInt64
    /// The delivery's number among those from the sending node to this node.
    public let sequence: UInt64
    /// The peer that receives the message, registered on this node.
    public let receiver: PeerName
    /// The sender's verified name, the DELIVER's peer.
    public let sender: PeerName
    /// The DELIVER's correlation id, for the outcome.
    public let correlationID: UInt64

    /// Calls `body` with the DELIVER read in place: its peer is the sender's verified name.
    public func withMessage<Result>(_ body: (MessageView) -> Result) -> Result {
        frame.withUnsafeBytes { frame in
            // Checked at decoding: the body is a valid DELIVER.
            body(try! MessageView(UnsafeRawBufferPointer(rebasing: frame[bodyRange])))
        }
    }
}
