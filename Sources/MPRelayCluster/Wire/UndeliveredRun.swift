/// The deliveries of one frame nobody received: what the frame's reply subject says when NATS
/// answers it with "no responders" (``ClusterSubjects/unreachable(_:)``).
public struct UndeliveredRun: Hashable, Sendable {
    /// The node that published the frame.
    public var senderNode: String
    /// The node it was published to.
    public var receiverNode: String
    /// The numbers of its deliveries.
    public var sequences: ClosedRange<UInt64>

    /// The deliveries `sequences` from `senderNode` to `receiverNode`.
    public init(senderNode: String, receiverNode: String, sequences: ClosedRange<UInt64>) {
        self.senderNode = senderNode
        self.receiverNode = receiverNode
        self.sequences = sequences
    }
}
