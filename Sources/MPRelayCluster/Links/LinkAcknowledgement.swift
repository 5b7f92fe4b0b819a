/// What a receiving node tells a sending node about the deliveries it published there
/// (``ClusterFrame/acknowledgement(_:)``): every delivery of the sender's run `epoch` numbered
/// up to ``through`` arrived, except those in ``lost``, which never did (a NATS server failed
/// with them on board); of those that arrived, the ones in ``refused`` could not be queued for
/// their receiver, and their senders get the ERROR it names.
///
/// Deliveries from one node to another are numbered 1, 2, 3... per sending run (its
/// incarnation); NATS keeps one publisher's order, so a number that skips ahead means the ones
/// between were lost. The receiving node sends this every few milliseconds while deliveries
/// arrive, and repeats it for a while (``InboundSequences``), so that a lost acknowledgement
/// costs nothing: the sender holds each delivery until it is acknowledged or reported lost
/// (``OutboundLedger``), and answers its sender with an ERROR if neither comes in time.
public struct LinkAcknowledgement: Equatable, Sendable {
    /// The node that received the deliveries and sends this.
    public var receiverNode: String
    /// The sending node's incarnation the numbers belong to.
    public var epoch: UInt64
    /// The highest delivery number seen: every one up to it arrived or is in ``lost``.
    public var through: UInt64
    /// Runs of numbers that never arrived, oldest first; at most ``maxLostRanges``.
    public var lost: [ClosedRange<UInt64>]
    /// Runs of numbers that arrived and were refused, oldest first; at most ``maxRefusedRuns``.
    public var refused: [RefusedDeliveries]

    /// The most lost ranges one acknowledgement carries.
    public static let maxLostRanges = 64
    /// The most refused runs one acknowledgement carries.
    public static let maxRefusedRuns = 255

    /// An acknowledgement from `receiverNode` of the deliveries numbered up to `through` of
    /// run `epoch`, but for `lost`, and with `refused` answered by an ERROR.
    public init(receiverNode: String, epoch: UInt64, through: UInt64, lost: [ClosedRange<UInt64>] = [], refused: [RefusedDeliveries] = []) {
        precondition(lost.count <= Self.maxLostRanges, "at most \(Self.maxLostRanges) lost ranges")
        precondition(refused.count <= Self.maxRefusedRuns, "at most \(Self.maxRefusedRuns) refused runs")
        self.receiverNode = receiverNode
        self.epoch = epoch
        self.through = through
        self.lost = lost
        self.refused = refused
    }
}
